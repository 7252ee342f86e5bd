//! Reading imports for the API and the page: the latest jobs with their
//! progress, one job, and a dry run's report.

use sqlx::PgPool;
use uuid::Uuid;

use super::{Import, Report};
use crate::error::{AppError, AppResult, Missing};

#[derive(sqlx::FromRow)]
struct Row {
    import_id: Uuid,
    file_name: String,
    size: i64,
    by_name: Option<String>,
    status: String,
    merge_channels: bool,
    conversations_total: i32,
    conversations_done: i32,
    messages_total: i64,
    messages_done: i64,
    files_total: i64,
    files_done: i64,
    error: Option<String>,
    created_at: time::OffsetDateTime,
    finished_at: Option<time::OffsetDateTime>,
    has_report: bool,
}

impl From<Row> for Import {
    fn from(r: Row) -> Import {
        Import {
            id: r.import_id,
            file_name: r.file_name,
            size: r.size,
            by: r.by_name,
            status: r.status,
            merge_channels: r.merge_channels,
            conversations_total: r.conversations_total,
            conversations_done: r.conversations_done,
            messages_total: r.messages_total,
            messages_done: r.messages_done,
            files_total: r.files_total,
            files_done: r.files_done,
            error: r.error,
            created_at: r.created_at,
            finished_at: r.finished_at,
            has_report: r.has_report,
        }
    }
}

/// The workspace's latest imports, newest first (or just `one`).
pub async fn list(db: &PgPool, workspace: Uuid, one: Option<Uuid>) -> AppResult<Vec<Import>> {
    let rows: Vec<Row> = sqlx::query_as(
        "select j.import_id, j.file_name, j.size, m.display_name as by_name, j.status, j.merge_channels,
                j.conversations_total, j.conversations_done, j.messages_total, j.messages_done, j.files_total,
                j.files_done, j.error, j.created_at, j.finished_at, j.report is not null as has_report
           from import_job j left join member m on m.member_id = j.actor_member_id
          where j.workspace_id = $1 and ($2::uuid is null or j.import_id = $2)
          order by j.created_at desc limit 10",
    )
    .bind(workspace)
    .bind(one)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Import::from).collect())
}

/// One import of the workspace, or `import_not_found`.
pub async fn one(db: &PgPool, workspace: Uuid, id: Uuid) -> AppResult<Import> {
    list(db, workspace, Some(id)).await?.pop().ok_or(AppError::NotFound(Missing::Import))
}

/// The dry run's report of an import of the workspace.
pub async fn report(db: &PgPool, workspace: Uuid, id: Uuid) -> AppResult<Option<Report>> {
    let row: Option<Option<sqlx::types::Json<Report>>> =
        sqlx::query_scalar("select report from import_job where import_id = $1 and workspace_id = $2")
            .bind(id)
            .bind(workspace)
            .fetch_optional(db)
            .await?;
    match row {
        None => Err(AppError::NotFound(Missing::Import)),
        Some(r) => Ok(r.map(|j| j.0)),
    }
}
