//! Reads of the retention policy and of past runs.

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{ChannelPolicy, ChannelRetention, Retention, Run};
use crate::error::AppResult;

/// How many runs the admin page lists.
const RECENT_RUNS: i64 = 20;

#[derive(sqlx::FromRow)]
struct RunRow {
    run_id: Uuid,
    by_name: Option<String>,
    started_at: OffsetDateTime,
    finished_at: Option<OffsetDateTime>,
    status: String,
    channels: i32,
    messages_deleted: i64,
    files_deleted: i64,
    error: Option<String>,
}

impl From<RunRow> for Run {
    fn from(r: RunRow) -> Run {
        Run {
            id: r.run_id,
            by: r.by_name,
            started_at: r.started_at,
            finished_at: r.finished_at,
            status: r.status,
            channels: r.channels,
            messages_deleted: r.messages_deleted,
            files_deleted: r.files_deleted,
            error: r.error,
        }
    }
}

/// The workspace's policy, the channels with their own, and recent runs.
pub async fn view(db: &PgPool, workspace: Uuid) -> AppResult<Retention> {
    let workspace_days: Option<i32> =
        sqlx::query_scalar("select retention_days from workspace where workspace_id = $1")
            .bind(workspace)
            .fetch_one(db)
            .await?;
    let channels: Vec<(Uuid, String, Option<i32>)> = sqlx::query_as(
        "select channel_id, name, retention_days from channel
          where workspace_id = $1 and retention_days is not null and name is not null order by name",
    )
    .bind(workspace)
    .fetch_all(db)
    .await?;
    Ok(Retention {
        workspace_days,
        channels: channels
            .into_iter()
            .map(|(channel, name, days)| ChannelRetention {
                channel,
                name: format!("#{name}"),
                policy: ChannelPolicy::from_column(days),
            })
            .collect(),
        runs: runs(db, workspace, None).await?,
    })
}

/// The latest runs, newest first (or just `run`).
pub async fn runs(db: &PgPool, workspace: Uuid, run: Option<Uuid>) -> AppResult<Vec<Run>> {
    let rows: Vec<RunRow> = sqlx::query_as(
        "select r.run_id, m.display_name as by_name, r.started_at, r.finished_at, r.status, r.channels,
                r.messages_deleted, r.files_deleted, r.error
           from retention_run r left join member m on m.member_id = r.actor_member_id
          where r.workspace_id = $1 and ($2::uuid is null or r.run_id = $2)
          order by r.started_at desc limit $3",
    )
    .bind(workspace)
    .bind(run)
    .bind(RECENT_RUNS)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Run::from).collect())
}

/// Each channel of the workspace that deletes anything, with its days.
pub async fn channels_to_trim(db: &PgPool, workspace: Uuid) -> AppResult<Vec<(Uuid, i32)>> {
    Ok(sqlx::query_as(
        "select c.channel_id, coalesce(c.retention_days, w.retention_days)
           from channel c join workspace w using (workspace_id)
          where c.workspace_id = $1 and coalesce(c.retention_days, w.retention_days) > 0
          order by c.channel_id",
    )
    .bind(workspace)
    .fetch_all(db)
    .await?)
}
