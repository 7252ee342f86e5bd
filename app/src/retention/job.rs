//! The retention job: deletes what a workspace's policy says is too old, in
//! small batches, and records the run.
//!
//! Every node runs the scheduler. Once a minute it claims due workspaces
//! one at a time (`retention_next_at` moved an hour forward under
//! `for update skip locked`, so two nodes never take the same one), and an
//! admin's "Run now" starts a run at once. At most one run per workspace
//! exists at a time (a unique index on running runs); a run whose node died
//! is found by its stale heartbeat and marked interrupted.
//!
//! Each batch is one transaction under the channel's row lock (the lock a
//! send takes), so a reply racing the cut either lands first and keeps its
//! thread, or waits and finds its root gone. It deletes up to [`BATCH`]
//! roots with their replies, their files (blobs nothing else uses go to the
//! storage sweeper), reactions (by cascade) and search entries (the row is
//! the Postgres index; a trigger queues the Meilisearch removal), counts
//! them on the run, and announces `history_trimmed` to the channel.

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use crate::auth::Actor;
use crate::core::ctx::Ctx;
use crate::db::audit;
use crate::error::{AppError, AppResult, Conflict};
use crate::files::upload::FileService;
use crate::realtime::Event;

/// Thread roots deleted per transaction (their replies go with them).
pub const BATCH: i64 = 200;
/// How often a workspace with a policy is looked at.
const EVERY: &str = "1 hour";
/// How often the scheduler looks for due workspaces.
const TICK: Duration = Duration::from_secs(60);
/// A running run with no heartbeat for this long died with its node.
const STALE: &str = "10 minutes";

/// Runs retention; cheap to clone.
#[derive(Clone)]
pub struct Retention {
    ctx: Ctx,
    files: Arc<FileService>,
}

impl Retention {
    pub fn new(ctx: Ctx, files: Arc<FileService>) -> Retention {
        Retention { ctx, files }
    }

    /// Starts the scheduler on this node.
    pub fn start(self) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(TICK);
            loop {
                tick.tick().await;
                loop {
                    match self.claim_due().await {
                        Ok(Some(ws)) => match self.begin(ws, None).await {
                            Ok(run) => self.finish(ws, run).await,
                            Err(AppError::AlreadyExists(_)) => {}
                            Err(e) => tracing::warn!(error = ?e, %ws, "retention: cannot start a run"),
                        },
                        Ok(None) => break,
                        Err(e) => {
                            tracing::warn!(error = ?e, "retention: cannot look for due workspaces");
                            break;
                        }
                    }
                }
            }
        });
    }

    /// The next workspace whose policy deletes something and whose turn
    /// has come, pushed an interval forward.
    async fn claim_due(&self) -> AppResult<Option<Uuid>> {
        Ok(sqlx::query_scalar(&format!(
            "update workspace set retention_next_at = now() + interval '{EVERY}'
              where workspace_id = (
                select w.workspace_id from workspace w
                 where w.retention_next_at <= now()
                   and (w.retention_days is not null
                        or exists (select 1 from channel c where c.workspace_id = w.workspace_id
                                     and c.retention_days > 0))
                 order by w.retention_next_at limit 1 for update skip locked)
              returning workspace_id"
        ))
        .fetch_optional(&*self.ctx)
        .await?)
    }

    /// "Run now": starts a run in the background and returns its id.
    pub async fn run_now(&self, admin: &Actor) -> AppResult<Uuid> {
        let run = self.begin(admin.workspace_id, Some(admin.member_id)).await?;
        let me = self.clone();
        let ws = admin.workspace_id;
        tokio::spawn(async move { me.finish(ws, run).await });
        Ok(run)
    }

    /// Records a new run, unless one is running (`retention_running`).
    pub async fn begin(&self, workspace: Uuid, actor: Option<Uuid>) -> AppResult<Uuid> {
        sqlx::query(&format!(
            "update retention_run set status = 'interrupted', finished_at = now()
              where workspace_id = $1 and status = 'running' and heartbeat_at < now() - interval '{STALE}'"
        ))
        .bind(workspace)
        .execute(&*self.ctx)
        .await?;
        let run: Option<Uuid> = sqlx::query_scalar(
            "insert into retention_run (run_id, workspace_id, actor_member_id) values ($1, $2, $3)
             on conflict do nothing returning run_id",
        )
        .bind(Uuid::now_v7())
        .bind(workspace)
        .bind(actor)
        .fetch_optional(&*self.ctx)
        .await?;
        run.ok_or(AppError::AlreadyExists(Conflict::RetentionRunning))
    }

    /// Runs `run` to the end and records how it ended (never fails: a
    /// failure is written on the run).
    pub async fn finish(&self, workspace: Uuid, run: Uuid) {
        let outcome = self.execute(workspace, run).await;
        let (status, error) = match &outcome {
            Ok(()) => ("done", None),
            Err(e) => {
                tracing::warn!(error = ?e, %workspace, %run, "retention run failed");
                ("failed", Some(e.to_string()))
            }
        };
        if let Err(e) = self.record_end(workspace, run, status, error).await {
            tracing::warn!(error = ?e, %run, "retention: cannot record the end of a run");
        }
        self.files.nudge_sweeper();
    }

    async fn execute(&self, workspace: Uuid, run: Uuid) -> AppResult<()> {
        for (channel, days) in super::queries::channels_to_trim(&self.ctx, workspace).await? {
            let mut touched = false;
            while self.trim_batch(run, channel, days, !touched).await? > 0 {
                touched = true;
            }
        }
        Ok(())
    }

    /// Deletes one batch from a channel; returns how many messages went.
    async fn trim_batch(&self, run: Uuid, channel: Uuid, days: i32, first: bool) -> AppResult<usize> {
        let mut tx = self.ctx.begin().await?;
        sqlx::query("select 1 from channel where channel_id = $1 for no key update")
            .bind(channel)
            .execute(&mut *tx)
            .await?;
        let seqs: Vec<i64> = sqlx::query_scalar(
            "with cut as (select now() - make_interval(days => $2) as at),
                  roots as (
                    select m.seq from message m, cut
                     where m.channel_id = $1 and m.thread_seq is null and m.created_at < cut.at
                       and coalesce(m.last_reply_at, m.created_at) < cut.at
                     order by m.created_at limit $3)
             select seq from roots
             union all
             select r.seq from message r where r.channel_id = $1 and r.thread_seq in (select seq from roots)",
        )
        .bind(channel)
        .bind(days)
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        if seqs.is_empty() {
            return Ok(0);
        }
        let blobs: Vec<Uuid> =
            sqlx::query_scalar("delete from file where channel_id = $1 and seq = any($2) returning blob_id")
                .bind(channel)
                .bind(&seqs)
                .fetch_all(&mut *tx)
                .await?;
        crate::files::blobs::release_blobs(&mut tx, &blobs).await?;
        sqlx::query("delete from message where channel_id = $1 and seq = any($2)")
            .bind(channel)
            .bind(&seqs)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "update retention_run set heartbeat_at = now(), messages_deleted = messages_deleted + $2,
                    files_deleted = files_deleted + $3, channels = channels + $4::int
              where run_id = $1",
        )
        .bind(run)
        .bind(seqs.len() as i64)
        .bind(blobs.len() as i64)
        .bind(i32::from(first))
        .execute(&mut *tx)
        .await?;
        let n = seqs.len();
        tx.emit_to_channel(channel, Event::HistoryTrimmed { channel, seqs });
        tx.commit().await?;
        Ok(n)
    }

    async fn record_end(
        &self,
        workspace: Uuid,
        run: Uuid,
        status: &str,
        error: Option<String>,
    ) -> AppResult<()> {
        let mut tx = self.ctx.begin().await?;
        let r: (Option<Uuid>, i32, i64, i64) = sqlx::query_as(
            "update retention_run set status = $2, error = $3, finished_at = now(), heartbeat_at = now()
              where run_id = $1
              returning actor_member_id, channels, messages_deleted, files_deleted",
        )
        .bind(run)
        .bind(status)
        .bind(&error)
        .fetch_one(&mut *tx)
        .await?;
        let detail = serde_json::json!({
            "run": run, "status": status, "channels": r.1, "messages": r.2, "files": r.3, "error": error,
        });
        audit(&mut tx, workspace, r.0, "retention.run", detail).await?;
        tx.commit().await
    }
}
