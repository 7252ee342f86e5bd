//! The upload pipeline and the background work around stored files.
//!
//! An upload is a multipart body with `channel`, optional `text`,
//! `thread_seq`, `client_msg_id` and `also_send_to_channel`, and one or more
//! `file` parts. Each file part is streamed to a temporary file while it is
//! hashed, sniffed and counted; the 25 MB limit is checked on every chunk.
//! Only when the whole body is in and valid is anything stored: the content
//! (unless the workspace already has it), then the message with its files
//! in one transaction. Any failure, including the client going away, drops
//! the temporary files, so nothing half-stored remains.
//!
//! The route runs [`FileService::upload`] in its own task, so a client that
//! disconnects cannot cancel it halfway through the clean-up.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::multipart::{Field, Multipart};
use bytes::Bytes;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use tokio::io::AsyncWriteExt;
use tokio::sync::{Notify, Semaphore};
use uuid::Uuid;

use super::blobs::{self as files_db, NewBlob, NewFile};
use super::sniff::{clean_name, sniff, SNIFF_BYTES};
use super::store::Storage;
use super::{images, is_inline_image, FileInfo, MAX_FILES_PER_MESSAGE, MAX_FILE_BYTES};
use crate::auth::Actor;
use crate::channels::parse_channel_id;
use crate::channels::queries::access;
use crate::error::{AppError, AppResult, Rule};
use crate::messages::actions::{send_new, SendInput};
use crate::messages::Message;

/// Storage plus the background work on it (thumbnails, deleting objects).
#[derive(Debug)]
pub struct FileService {
    pub storage: Storage,
    tmp_dir: PathBuf,
    /// Image decoding is CPU- and memory-hungry: one at a time per node.
    pub(super) thumbs: Semaphore,
    pub(super) sweep: Notify,
}

/// What an upload produced.
#[derive(Debug)]
pub struct Uploaded {
    pub message: Message,
    /// `false` when a retry with the same `client_msg_id` found the original.
    pub created: bool,
}

impl Uploaded {
    /// The first file (what `files.upload` returns as `file`).
    pub fn file(&self) -> Option<&FileInfo> {
        self.message.files.first()
    }
}

/// A temporary file that removes itself unless it was handed on.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// One received file part.
struct Staged {
    tmp: TempFile,
    name: String,
    sha256: Vec<u8>,
    mimetype: String,
    size: u64,
    dims: Option<(u32, u32)>,
}

#[derive(Default)]
struct Fields {
    channel: Option<Uuid>,
    text: String,
    thread_seq: Option<i64>,
    client_msg_id: Option<String>,
    also_send_to_channel: bool,
}

fn bad_multipart(e: impl std::fmt::Display) -> AppError {
    tracing::debug!(error = %e, "bad multipart body");
    AppError::Invalid(Rule::InvalidMultipart)
}

/// A text part, read in chunks so that an oversized one is refused without
/// being buffered.
async fn text_field(mut field: Field<'_>) -> AppResult<String> {
    let mut buf = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(bad_multipart)? {
        if buf.len() + chunk.len() > 200_000 {
            return Err(AppError::Invalid(Rule::MsgTooLong));
        }
        buf.extend_from_slice(&chunk);
    }
    String::from_utf8(buf).map_err(|_| AppError::InvalidArguments("fields must be UTF-8".into()))
}

/// Reads past a part nobody asked for.
async fn skip_field(mut field: Field<'_>) -> AppResult<()> {
    while field.chunk().await.map_err(bad_multipart)?.is_some() {}
    Ok(())
}

impl FileService {
    /// Opens the service; `tmp_dir` should be on the same disk as a local store.
    pub fn new(storage: Storage, tmp_dir: PathBuf) -> Result<Arc<FileService>, String> {
        std::fs::create_dir_all(&tmp_dir).map_err(|e| format!("cannot create {}: {e}", tmp_dir.display()))?;
        // Leftovers of a crash: nothing refers to them. Only old ones, in
        // case another node shares this directory and is uploading now.
        let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        if let Ok(dir) = std::fs::read_dir(&tmp_dir) {
            for e in dir.flatten() {
                if e.metadata().and_then(|m| m.modified()).is_ok_and(|t| t < hour_ago) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        Ok(Arc::new(FileService { storage, tmp_dir, thumbs: Semaphore::new(1), sweep: Notify::new() }))
    }

    /// Receives a whole upload and shares its files in a new message.
    pub async fn upload(
        self: &Arc<Self>,
        ctx: &crate::core::ctx::Ctx,
        actor: &Actor,
        mut mp: Multipart,
    ) -> AppResult<Uploaded> {
        let db: &PgPool = ctx;
        // The workspace's own limit and blocked types (/admin/settings).
        let (limit, blocked) = crate::workspaces::settings::upload_limits(db, actor.workspace_id).await?;
        let mut f = Fields::default();
        let mut staged: Vec<Staged> = Vec::new();
        let received = async {
            while let Some(field) = mp.next_field().await.map_err(bad_multipart)? {
                let name = field.name().unwrap_or_default().to_string();
                match name.as_str() {
                    "file" | "files" | "file[]" => {
                        if staged.len() == MAX_FILES_PER_MESSAGE {
                            return Err(AppError::Invalid(Rule::TooManyFiles));
                        }
                        staged.push(self.stage(field, limit.min(MAX_FILE_BYTES), &blocked).await?);
                    }
                    "channel" => {
                        let id = parse_channel_id(text_field(field).await?.trim())?;
                        // Refuse outsiders before they send megabytes.
                        access(db, actor, id).await?.require_writable()?;
                        f.channel = Some(id);
                    }
                    "text" => f.text = text_field(field).await?,
                    "client_msg_id" => f.client_msg_id = Some(text_field(field).await?),
                    "thread_seq" => {
                        let v = text_field(field).await?;
                        let v = v.trim();
                        f.thread_seq = if v.is_empty() {
                            None
                        } else {
                            Some(v.parse().map_err(|_| {
                                AppError::InvalidArguments("thread_seq must be a number".into())
                            })?)
                        };
                    }
                    "also_send_to_channel" => {
                        f.also_send_to_channel =
                            matches!(text_field(field).await?.trim(), "true" | "1" | "on")
                    }
                    // Unknown parts are read and ignored, as with unknown JSON keys.
                    _ => skip_field(field).await?,
                }
            }
            Ok(())
        }
        .await;
        if let Err(e) = received {
            let tell = matches!(
                e,
                AppError::FileTooLarge
                    | AppError::Invalid(Rule::FileTypeBlocked)
                    | AppError::Unavailable { .. }
            );
            if tell {
                // Read (and discard) a bounded remainder so the client gets
                // the 413 (or the 503 of a full disk) instead of a reset
                // connection.
                drain(&mut mp, 64 * 1024 * 1024).await;
            }
            return Err(e);
        }
        let channel = f.channel.ok_or_else(|| AppError::InvalidArguments("channel is required".into()))?;
        if staged.is_empty() {
            return Err(AppError::Invalid(Rule::NoFile));
        }
        let mut files = Vec::with_capacity(staged.len());
        let mut new_blobs = Vec::new();
        for s in staged {
            let name = s.name.clone();
            let (blob_id, created) = self.store(db, actor.workspace_id, s).await?;
            if created {
                new_blobs.push(blob_id);
            }
            files.push(NewFile { blob_id, name });
        }
        let input = SendInput {
            channel,
            text: f.text,
            client_msg_id: f.client_msg_id,
            thread_seq: f.thread_seq,
            also_send_to_channel: f.also_send_to_channel,
            files,
        };
        let sent = send_new(ctx, actor, input).await;
        let unshared = match &sent {
            Ok((_, true)) => Vec::new(),
            // A retry found the original, or the send failed: the content
            // stored for this request is referenced by nothing.
            _ => new_blobs.clone(),
        };
        if !unshared.is_empty() {
            self.release(db, &unshared).await;
        }
        let (message, created) = sent?;
        if created {
            for m in message.files.iter().filter(|f| f.thumb_url.is_some()) {
                let (me, db, file) = (self.clone(), db.clone(), m.id);
                tokio::spawn(async move { me.ensure_thumb_for_file(&db, file).await });
            }
        }
        Ok(Uploaded { message, created })
    }

    /// Streams one file part to a temporary file, hashing and sniffing it.
    async fn stage(&self, mut field: Field<'_>, limit: u64, blocked: &[String]) -> AppResult<Staged> {
        let name = clean_name(field.file_name().unwrap_or("file"));
        if crate::workspaces::settings::is_blocked(&name, blocked) {
            return Err(AppError::Invalid(Rule::FileTypeBlocked));
        }
        let tmp = TempFile(self.tmp_dir.join(format!("{}.part", Uuid::new_v4())));
        let mut out = tokio::fs::File::create(&tmp.0).await.map_err(|e| io_failed("create", e))?;
        let mut hasher = Sha256::new();
        let mut head: Vec<u8> = Vec::with_capacity(SNIFF_BYTES);
        let mut size: u64 = 0;
        while let Some(chunk) = field.chunk().await.map_err(bad_multipart)? {
            size += chunk.len() as u64;
            if size > limit {
                return Err(AppError::FileTooLarge);
            }
            hasher.update(&chunk);
            if head.len() < SNIFF_BYTES {
                let take = (SNIFF_BYTES - head.len()).min(chunk.len());
                head.extend_from_slice(&chunk[..take]);
            }
            out.write_all(&chunk).await.map_err(|e| io_failed("write", e))?;
        }
        if size == 0 {
            return Err(AppError::Invalid(Rule::FileEmpty));
        }
        out.flush().await.map_err(|e| io_failed("flush", e))?;
        drop(out);
        let mimetype = sniff(&head);
        let mut staged = Staged { tmp, name, sha256: hasher.finalize().to_vec(), mimetype, size, dims: None };
        if is_inline_image(&staged.mimetype) {
            self.clean_image(&mut staged).await?;
        }
        Ok(staged)
    }

    /// Stores content the server already holds (a file from an import's
    /// zip) as an upload would: sniffed, image metadata stripped, and
    /// deduplicated within the workspace. Returns the blob.
    pub async fn store_bytes(
        &self,
        db: &PgPool,
        workspace: Uuid,
        name: &str,
        bytes: &[u8],
    ) -> AppResult<Uuid> {
        if bytes.is_empty() {
            return Err(AppError::Invalid(Rule::FileEmpty));
        }
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(AppError::FileTooLarge);
        }
        let tmp = TempFile(self.tmp_dir.join(format!("{}.part", Uuid::new_v4())));
        tokio::fs::write(&tmp.0, bytes).await.map_err(|e| io_failed("write", e))?;
        let mimetype = sniff(&bytes[..bytes.len().min(SNIFF_BYTES)]);
        let sha256 = Sha256::digest(bytes).to_vec();
        let mut staged =
            Staged { tmp, name: clean_name(name), sha256, mimetype, size: bytes.len() as u64, dims: None };
        if is_inline_image(&staged.mimetype) {
            self.clean_image(&mut staged).await?;
        }
        Ok(self.store(db, workspace, staged).await?.0)
    }

    /// Strips image metadata in place and reads the dimensions.
    async fn clean_image(&self, s: &mut Staged) -> AppResult<()> {
        let _permit = self.thumbs.acquire().await.map_err(|_| AppError::Internal)?;
        let bytes = Bytes::from(tokio::fs::read(&s.tmp.0).await.map_err(|e| io_failed("read", e))?);
        let mime = s.mimetype.clone();
        let (clean, dims) = tokio::task::spawn_blocking(move || {
            let clean = images::strip_metadata(&mime, bytes.clone());
            let dims = images::dimensions(clean.as_ref().unwrap_or(&bytes));
            (clean, dims)
        })
        .await
        .map_err(|_| AppError::Internal)?;
        if let Some(clean) = clean {
            tokio::fs::write(&s.tmp.0, &clean).await.map_err(|e| io_failed("write", e))?;
            s.size = clean.len() as u64;
        }
        s.dims = dims;
        Ok(())
    }

    /// Puts staged content in the store unless the workspace has it already.
    /// Returns the blob and whether it is new.
    async fn store(&self, db: &PgPool, workspace: Uuid, s: Staged) -> AppResult<(Uuid, bool)> {
        if let Some(existing) = super::queries::find_blob(db, workspace, &s.sha256).await? {
            return Ok((existing, false));
        }
        let blob_id = Uuid::now_v7();
        let key = super::queries::blob_key(workspace, blob_id);
        self.storage.ingest(&s.tmp.0, &key).await?;
        let b = NewBlob {
            blob_id,
            workspace_id: workspace,
            sha256: s.sha256,
            mimetype: s.mimetype,
            size: s.size as i64,
            storage_key: key.clone(),
            width: s.dims.map(|d| d.0 as i32),
            height: s.dims.map(|d| d.1 as i32),
        };
        match files_db::insert_blob(db, &b).await {
            Ok((id, true)) => Ok((id, true)),
            Ok((id, false)) => {
                // The same content arrived concurrently and won.
                let _ = self.storage.delete(&key).await;
                Ok((id, false))
            }
            Err(e) => {
                let _ = self.storage.delete(&key).await;
                Err(e)
            }
        }
    }

    /// Drops blobs that nothing refers to, and their objects.
    async fn release(&self, db: &PgPool, blobs: &[Uuid]) {
        let done = async {
            let mut tx = db.begin().await?;
            super::blobs::release_blobs(&mut tx, blobs).await?;
            tx.commit().await?;
            self.sweep_now(db).await
        };
        if let Err(e) = done.await {
            tracing::warn!(error = ?e, "could not release unshared uploads; the sweeper will retry");
        }
    }

    /// The temporary directory (tests check it is left empty).
    pub fn tmp_dir(&self) -> &Path {
        &self.tmp_dir
    }
}

/// Staging failed (the disk is full, most likely): nothing was stored, and
/// the client may retry later.
fn io_failed(what: &str, e: std::io::Error) -> AppError {
    tracing::error!(error = %e, "upload: {what} failed");
    AppError::Unavailable { retry_after_secs: 5 }
}

/// Reads and discards what is left of a body, up to `budget` bytes.
async fn drain(mp: &mut Multipart, mut budget: u64) {
    loop {
        let Ok(Some(mut field)) = mp.next_field().await else { return };
        while let Ok(Some(chunk)) = field.chunk().await {
            budget = budget.saturating_sub(chunk.len() as u64);
            if budget == 0 {
                return;
            }
        }
    }
}
