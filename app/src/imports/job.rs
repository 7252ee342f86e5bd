//! The import's jobs: receiving the zip, the dry run, the import, cancel,
//! and taking over a job whose node died.
//!
//! One job works in a workspace at a time (a unique index on running
//! jobs). A running job moves its heartbeat every few seconds; every node
//! looks for jobs whose heartbeat stopped and runs them on, so an import
//! survives a restart: the import goes on after its last committed batch,
//! and a dry run starts over (it writes nothing). The reading and
//! converting is CPU work, so a job runs on a blocking thread, never on
//! the threads that serve requests.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::multipart::Multipart;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use super::queries::one;
use crate::auth::Actor;
use crate::core::ctx::Ctx;
use crate::db::audit;
use crate::error::{AppError, AppResult, Conflict, Rule};
use crate::files::upload::FileService;

/// The largest export accepted.
pub const MAX_UPLOAD_BYTES: u64 = 20 * 1024 * 1024 * 1024;
/// A job whose heartbeat is older than this lost its node.
const STALE_SECS: i64 = 60;
const HEARTBEAT: Duration = Duration::from_secs(10);

/// Runs imports; cheap to clone.
#[derive(Clone)]
pub struct Importer {
    pub(super) ctx: Ctx,
    pub(super) files: Arc<FileService>,
    /// Messages per transaction.
    pub batch: usize,
}

fn running_conflict(e: sqlx::Error) -> AppError {
    match crate::db::unique_violation(&e).as_deref() {
        Some("import_one_running_idx") => AppError::AlreadyExists(Conflict::ImportRunning),
        _ => e.into(),
    }
}

impl Importer {
    pub fn new(ctx: Ctx, files: Arc<FileService>) -> Importer {
        Importer { ctx, files, batch: 5000 }
    }

    /// Receives an uploaded export (the multipart part `file`), streamed to
    /// a temporary file and then into the store, never held in memory.
    pub async fn receive(&self, admin: &Actor, mut mp: Multipart) -> AppResult<Uuid> {
        let bad = |e: axum::extract::multipart::MultipartError| {
            tracing::debug!(error = %e, "bad multipart body");
            AppError::Invalid(Rule::InvalidMultipart)
        };
        while let Some(mut field) = mp.next_field().await.map_err(bad)? {
            if field.name() != Some("file") {
                while field.chunk().await.map_err(bad)?.is_some() {}
                continue;
            }
            let name = crate::files::sniff::clean_name(field.file_name().unwrap_or("slack-export.zip"));
            let tmp = self.files.tmp_dir().join(format!("{}.import", Uuid::new_v4()));
            let received = async {
                let mut out = tokio::fs::File::create(&tmp).await.map_err(|_| AppError::Internal)?;
                let mut size: u64 = 0;
                let mut head = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(bad)? {
                    size += chunk.len() as u64;
                    if size > MAX_UPLOAD_BYTES {
                        return Err(AppError::TooLarge);
                    }
                    if head.len() < 4 {
                        head.extend_from_slice(&chunk[..chunk.len().min(4 - head.len())]);
                    }
                    out.write_all(&chunk).await.map_err(|_| AppError::Internal)?;
                }
                out.flush().await.map_err(|_| AppError::Internal)?;
                if head != b"PK\x03\x04" {
                    return Err(AppError::Invalid(Rule::NotSlackExport));
                }
                Ok(size)
            }
            .await;
            let size = match received {
                Ok(s) => s,
                Err(e) => {
                    let _ = tokio::fs::remove_file(&tmp).await;
                    return Err(e);
                }
            };
            let id = Uuid::now_v7();
            let key = format!("imports/{}/{id}.zip", admin.workspace_id);
            self.files.storage.ingest(&tmp, &key).await?;
            let mut tx = self.ctx.begin().await?;
            sqlx::query(
                "insert into import_job (import_id, workspace_id, actor_member_id, file_name, size, storage_key)
                 values ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(admin.workspace_id)
            .bind(admin.member_id)
            .bind(&name)
            .bind(size as i64)
            .bind(&key)
            .execute(&mut *tx)
            .await?;
            let detail = serde_json::json!({"import": id, "file": name, "size": size});
            audit(&mut tx, admin.workspace_id, Some(admin.member_id), "import.uploaded", detail).await?;
            tx.commit().await?;
            return Ok(id);
        }
        Err(AppError::Invalid(Rule::NoFile))
    }

    /// Starts the dry run (again, with other options, as often as wanted
    /// before the import).
    pub async fn check(&self, admin: &Actor, id: Uuid, merge: bool) -> AppResult<()> {
        let moved = sqlx::query(
            "update import_job set status = 'checking', merge_channels = $3, error = null, heartbeat_at = now(),
                    conversations_done = 0, messages_done = 0, files_done = 0, finished_at = null
              where import_id = $1 and workspace_id = $2 and status in ('uploaded', 'checked', 'failed', 'cancelled')
                and storage_key is not null",
        )
        .bind(id)
        .bind(admin.workspace_id)
        .bind(merge)
        .execute(&*self.ctx)
        .await
        .map_err(running_conflict)?
        .rows_affected();
        if moved == 0 {
            one(&self.ctx, admin.workspace_id, id).await?;
            return Err(AppError::AlreadyExists(Conflict::ImportState));
        }
        self.spawn(id);
        Ok(())
    }

    /// Starts (or resumes) the import of a checked export.
    pub async fn start(&self, admin: &Actor, id: Uuid) -> AppResult<()> {
        let mut tx = self.ctx.begin().await?;
        let moved: Option<(i64, i64)> = sqlx::query_as(
            "update import_job set status = 'importing', error = null, heartbeat_at = now(), finished_at = null,
                    messages_done = case when status in ('checked', 'done') then 0 else messages_done end,
                    files_done = case when status in ('checked', 'done') then 0 else files_done end,
                    conversations_done = case when status in ('checked', 'done') then 0 else conversations_done end
              where import_id = $1 and workspace_id = $2 and report is not null
                and status in ('checked', 'failed', 'cancelled', 'done')
             returning messages_total, files_total",
        )
        .bind(id)
        .bind(admin.workspace_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(running_conflict)?;
        let Some((messages, files)) = moved else {
            one(&self.ctx, admin.workspace_id, id).await?;
            return Err(AppError::AlreadyExists(Conflict::ImportState));
        };
        let detail = serde_json::json!({"import": id, "messages_total": messages, "files_total": files});
        audit(&mut tx, admin.workspace_id, Some(admin.member_id), "import.started", detail).await?;
        tx.commit().await?;
        self.spawn(id);
        Ok(())
    }

    /// Stops a dry run or an import after its current transaction. What
    /// was imported stays; starting again goes on from there.
    pub async fn cancel(&self, admin: &Actor, id: Uuid) -> AppResult<()> {
        let mut tx = self.ctx.begin().await?;
        let moved = sqlx::query(
            "update import_job set status = 'cancelled', finished_at = now()
              where import_id = $1 and workspace_id = $2 and status in ('uploaded', 'checking', 'checked', 'importing')",
        )
        .bind(id)
        .bind(admin.workspace_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 0 {
            one(&self.ctx, admin.workspace_id, id).await?;
            return Err(AppError::AlreadyExists(Conflict::ImportState));
        }
        audit(
            &mut tx,
            admin.workspace_id,
            Some(admin.member_id),
            "import.cancelled",
            serde_json::json!({"import": id}),
        )
        .await?;
        tx.commit().await
    }

    /// Runs a job on a blocking thread, with its heartbeat.
    pub fn spawn(&self, id: Uuid) {
        let me = self.clone();
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || handle.block_on(me.run(id, None)));
    }

    /// Runs job `id` to its end (or, with a `budget` of batches, stops
    /// there as a crash would: tests). Returns how it ended.
    pub async fn run(&self, id: Uuid, budget: Option<usize>) -> AppResult<String> {
        let beat = {
            let db = self.ctx.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(HEARTBEAT).await;
                    let _ = sqlx::query(
                        "update import_job set heartbeat_at = now()
                          where import_id = $1 and status in ('checking', 'importing')",
                    )
                    .bind(id)
                    .execute(&*db)
                    .await;
                }
            })
        };
        let ended = self.run_step(id, budget).await;
        beat.abort();
        match &ended {
            Err(AppError::Unavailable { retry_after_secs: 0 }) if budget.is_some() => {}
            Err(e) => {
                tracing::warn!(error = ?e, %id, "import failed");
                let _ = sqlx::query(
                    "update import_job set status = 'failed', error = $2, finished_at = now()
                      where import_id = $1 and status in ('checking', 'importing')",
                )
                .bind(id)
                .bind(e.to_string())
                .execute(&*self.ctx)
                .await;
            }
            Ok(_) => {}
        }
        ended
    }

    async fn run_step(&self, id: Uuid, budget: Option<usize>) -> AppResult<String> {
        let job: Option<(Uuid, String, Option<String>, bool)> = sqlx::query_as(
            "select workspace_id, status, storage_key, merge_channels from import_job where import_id = $1",
        )
        .bind(id)
        .fetch_optional(&*self.ctx)
        .await?;
        let Some((workspace, status, Some(key), merge)) = job else {
            return Ok("gone".into());
        };
        let (path, _tmp) = self.local_zip(&key).await?;
        match status.as_str() {
            "checking" => super::run::dry_run(&self.ctx, id, workspace, &path, merge).await,
            "importing" => {
                super::run::import(&self.ctx, &self.files, self.batch, id, workspace, &path, merge, budget)
                    .await
            }
            other => Ok(other.to_string()),
        }
    }

    /// The zip as a local file: in place for a local store, else copied
    /// to a temporary file (removed when the guard drops).
    async fn local_zip(&self, key: &str) -> AppResult<(PathBuf, Option<TempZip>)> {
        if let Some(p) = self.files.storage.local_path(key) {
            return Ok((p, None));
        }
        use futures_util::StreamExt;
        let tmp = self.files.tmp_dir().join(format!("{}.import", Uuid::new_v4()));
        let guard = TempZip(tmp.clone());
        let mut out = tokio::fs::File::create(&tmp).await.map_err(|_| AppError::Internal)?;
        let mut s = self.files.storage.stream(key, None).await?;
        while let Some(chunk) = s.next().await {
            let chunk = chunk.map_err(|_| AppError::Internal)?;
            out.write_all(&chunk).await.map_err(|_| AppError::Internal)?;
        }
        out.flush().await.map_err(|_| AppError::Internal)?;
        Ok((tmp, Some(guard)))
    }

    /// Takes over, every few seconds, any job whose node stopped.
    pub fn start_resumer(self) {
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(HEARTBEAT).await;
                if let Err(e) = self.take_over(STALE_SECS).await {
                    tracing::warn!(error = ?e, "import: cannot look for stopped jobs");
                }
            }
        });
    }

    /// Claims one job whose heartbeat is older than `stale_secs` (its node
    /// stopped) and runs it here; returns it.
    pub async fn take_over(&self, stale_secs: i64) -> AppResult<Option<Uuid>> {
        let claimed: Option<Uuid> = sqlx::query_scalar(
            "update import_job set heartbeat_at = now()
              where import_id = (select import_id from import_job
                                  where status in ('checking', 'importing')
                                    and heartbeat_at < now() - make_interval(secs => $1)
                                  order by heartbeat_at limit 1 for update skip locked)
             returning import_id",
        )
        .bind(stale_secs as f64)
        .fetch_optional(&*self.ctx)
        .await?;
        if let Some(id) = claimed {
            tracing::info!(%id, "import: taking over a job whose node stopped");
            self.spawn(id);
        }
        Ok(claimed)
    }
}

/// A temporary copy of a zip, removed on drop.
struct TempZip(PathBuf);

impl Drop for TempZip {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
