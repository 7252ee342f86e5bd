//! Starting, tracking and finishing exports. The building itself is in
//! [`build`](super::build).
//!
//! One export runs per workspace at a time (a unique index on running
//! exports). It runs on the node that started it and moves a heartbeat
//! after every conversation; one whose node died is found by its stale
//! heartbeat and marked interrupted, and the admin starts another. Starting
//! is an audited action; progress and the end are recorded on the row, which
//! the admin page polls.

use std::sync::Arc;

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{download_path, Export};
use crate::auth::{Actor, Role};
use crate::core::ctx::Ctx;
use crate::db::audit;
use crate::error::{AppError, AppResult, Conflict, Refusal};
use crate::files::upload::FileService;

/// A running export with no heartbeat for this long died with its node.
const STALE: &str = "10 minutes";

/// Builds exports; cheap to clone.
#[derive(Clone)]
pub struct Exporter {
    pub(super) ctx: Ctx,
    pub(super) files: Arc<FileService>,
}

#[derive(sqlx::FromRow)]
struct Row {
    export_id: Uuid,
    by_name: Option<String>,
    include_private: bool,
    status: String,
    conversations_total: i32,
    conversations_done: i32,
    messages: i64,
    files: i64,
    size: Option<i64>,
    error: Option<String>,
    started_at: OffsetDateTime,
    finished_at: Option<OffsetDateTime>,
}

impl From<Row> for Export {
    fn from(r: Row) -> Export {
        Export {
            id: r.export_id,
            by: r.by_name,
            include_private: r.include_private,
            download_url: (r.status == "done").then(|| download_path(r.export_id)),
            status: r.status,
            conversations_total: r.conversations_total,
            conversations_done: r.conversations_done,
            messages: r.messages,
            files: r.files,
            size: r.size,
            error: r.error,
            started_at: r.started_at,
            finished_at: r.finished_at,
        }
    }
}

/// The workspace's latest exports, newest first (or just `one`).
pub async fn list(db: &PgPool, workspace: Uuid, one: Option<Uuid>) -> AppResult<Vec<Export>> {
    let rows: Vec<Row> = sqlx::query_as(
        "select e.export_id, m.display_name as by_name, e.include_private, e.status, e.conversations_total,
                e.conversations_done, e.messages, e.files, e.size, e.error, e.started_at, e.finished_at
           from export e left join member m on m.member_id = e.actor_member_id
          where e.workspace_id = $1 and ($2::uuid is null or e.export_id = $2)
          order by e.started_at desc limit 10",
    )
    .bind(workspace)
    .bind(one)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Export::from).collect())
}

/// The stored zip of a finished export of the workspace, if there is one.
pub async fn stored(db: &PgPool, workspace: Uuid, export: Uuid) -> AppResult<Option<(String, i64)>> {
    Ok(sqlx::query_as(
        "select storage_key, size from export
          where export_id = $1 and workspace_id = $2 and status = 'done' and storage_key is not null",
    )
    .bind(export)
    .bind(workspace)
    .fetch_optional(db)
    .await?)
}

impl Exporter {
    pub fn new(ctx: Ctx, files: Arc<FileService>) -> Exporter {
        Exporter { ctx, files }
    }

    /// Starts an export in the background; `include_private` needs an
    /// owner. Refused with `export_running` while one runs.
    pub async fn start(&self, admin: &Actor, include_private: bool) -> AppResult<Uuid> {
        if include_private && admin.role != Role::Owner {
            return Err(AppError::Refused(Refusal::OwnerOnly));
        }
        let ws = admin.workspace_id;
        let mut tx = self.ctx.begin().await?;
        sqlx::query(&format!(
            "update export set status = 'interrupted', finished_at = now()
              where workspace_id = $1 and status = 'running' and heartbeat_at < now() - interval '{STALE}'"
        ))
        .bind(ws)
        .execute(&mut *tx)
        .await?;
        let id: Option<Uuid> = sqlx::query_scalar(
            "insert into export (export_id, workspace_id, actor_member_id, include_private)
             values ($1, $2, $3, $4) on conflict do nothing returning export_id",
        )
        .bind(Uuid::now_v7())
        .bind(ws)
        .bind(admin.member_id)
        .bind(include_private)
        .fetch_optional(&mut *tx)
        .await?;
        let id = id.ok_or(AppError::AlreadyExists(Conflict::ExportRunning))?;
        let scope = if include_private {
            "everything: public and private channels and direct messages"
        } else {
            "public channels only"
        };
        let detail = serde_json::json!({"export": id, "include_private": include_private, "scope": scope});
        audit(&mut tx, ws, Some(admin.member_id), "export.started", detail).await?;
        tx.commit().await?;
        let me = self.clone();
        tokio::spawn(async move { me.run(ws, id, include_private).await });
        Ok(id)
    }

    /// Builds the export and records how it ended.
    pub async fn run(&self, workspace: Uuid, id: Uuid, include_private: bool) {
        let key = format!("exports/{workspace}/{id}.zip");
        let outcome = self.build(workspace, id, include_private, &key).await;
        if let Err(e) = self.record_end(workspace, id, &key, outcome).await {
            tracing::warn!(error = ?e, %id, "export: cannot record the end");
        }
        self.files.nudge_sweeper();
    }

    async fn record_end(
        &self,
        workspace: Uuid,
        id: Uuid,
        key: &str,
        outcome: AppResult<i64>,
    ) -> AppResult<()> {
        let mut tx = self.ctx.begin().await?;
        match outcome {
            Ok(size) => {
                // Only the newest export is kept: older ones' zips go.
                sqlx::query(
                    "insert into storage_trash (storage_key)
                     select storage_key from export
                      where workspace_id = $1 and status = 'done' and export_id <> $2 and storage_key is not null
                     on conflict do nothing",
                )
                .bind(workspace)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "update export set status = 'replaced', storage_key = null
                      where workspace_id = $1 and status = 'done' and export_id <> $2",
                )
                .bind(workspace)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "update export set status = 'done', storage_key = $2, size = $3, finished_at = now(),
                            heartbeat_at = now()
                      where export_id = $1",
                )
                .bind(id)
                .bind(key)
                .bind(size)
                .execute(&mut *tx)
                .await?;
            }
            Err(e) => {
                tracing::warn!(error = ?e, %id, "export failed");
                sqlx::query(
                    "update export set status = 'failed', error = $2, finished_at = now() where export_id = $1",
                )
                .bind(id)
                .bind(e.to_string())
                .execute(&mut *tx)
                .await?;
                sqlx::query("insert into storage_trash (storage_key) values ($1) on conflict do nothing")
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await
    }
}
