//! Reading files: a message's files, one file, a channel's files, what a
//! download may serve, the blob with given content (deduplication) and the
//! sweeper's queue. Every read a client asks for checks access first.

use std::collections::HashMap;

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use super::FileInfo;
use crate::auth::Actor;
use crate::channels::queries::access;
use crate::error::{AppError, AppResult, Missing};

#[derive(Debug)]
pub(super) struct FileRow {
    pub(super) file_id: Uuid,
    pub(super) name: String,
    pub(super) mimetype: String,
    pub(super) size: i64,
    pub(super) width: Option<i32>,
    pub(super) height: Option<i32>,
    pub(super) thumb_state: String,
    pub(super) channel_id: Uuid,
    pub(super) seq: i64,
    pub(super) member_id: Uuid,
    pub(super) created_at: OffsetDateTime,
}

impl FileRow {
    pub(super) fn into_info(self) -> FileInfo {
        let thumb_url = (self.thumb_state != "none" && self.thumb_state != "failed")
            .then(|| format!("/files/{}/thumb/360", self.file_id));
        FileInfo {
            id: self.file_id,
            url: format!("/files/{}/{}", self.file_id, encode_segment(&self.name)),
            thumb_url,
            name: self.name,
            mimetype: self.mimetype,
            size: self.size,
            width: self.width,
            height: self.height,
            channel: self.channel_id,
            seq: self.seq,
            user: self.member_id,
            created_at: self.created_at,
        }
    }
}

/// The object key of a blob's content.
pub fn blob_key(workspace: Uuid, blob: Uuid) -> String {
    format!("{workspace}/{blob}")
}

/// The object key of a blob's thumbnail.
pub fn thumb_key(workspace: Uuid, blob: Uuid) -> String {
    format!("{workspace}/{blob}.thumb")
}

/// Percent-encodes a file name for a URL path segment.
pub(super) fn encode_segment(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The existing blob with this content in the workspace, if any.
pub async fn find_blob(db: &PgPool, workspace: Uuid, sha256: &[u8]) -> AppResult<Option<Uuid>> {
    Ok(sqlx::query_scalar!(
        "select blob_id from blob where workspace_id = $1 and sha256 = $2",
        workspace,
        sha256
    )
    .fetch_optional(db)
    .await?)
}

/// The files of a page of messages, by seq.
pub async fn for_messages(
    db: impl sqlx::PgExecutor<'_>,
    channel: Uuid,
    seqs: &[i64],
) -> AppResult<HashMap<i64, Vec<FileInfo>>> {
    let mut by_seq: HashMap<i64, Vec<FileInfo>> = HashMap::new();
    if seqs.is_empty() {
        return Ok(by_seq);
    }
    let rows = sqlx::query_as!(
        FileRow,
        r#"select f.file_id, f.name, b.mimetype, b.size, b.width, b.height, b.thumb_state,
                  f.channel_id, f.seq, f.member_id, f.created_at
           from file f join blob b using (blob_id)
           where f.channel_id = $1 and f.seq = any($2) order by f.seq, f.position"#,
        channel,
        seqs
    )
    .fetch_all(db)
    .await?;
    for r in rows {
        by_seq.entry(r.seq).or_default().push(r.into_info());
    }
    Ok(by_seq)
}

pub(super) async fn row(db: &PgPool, file: Uuid, workspace: Uuid) -> AppResult<FileRow> {
    sqlx::query_as!(
        FileRow,
        r#"select f.file_id, f.name, b.mimetype, b.size, b.width, b.height, b.thumb_state,
                  f.channel_id, f.seq, f.member_id, f.created_at
           from file f join blob b using (blob_id) where f.file_id = $1 and f.workspace_id = $2"#,
        file,
        workspace
    )
    .fetch_optional(db)
    .await?
    .ok_or(AppError::NotFound(Missing::File))
}

/// One file, if the caller can read the channel it was shared in.
pub async fn info(db: &PgPool, actor: &Actor, file: Uuid) -> AppResult<FileInfo> {
    let r = row(db, file, actor.workspace_id).await?;
    access(db, actor, r.channel_id).await.map_err(|_| AppError::NotFound(Missing::File))?;
    Ok(r.into_info())
}

/// A page of a channel's files, newest first.
pub async fn list(
    db: &PgPool,
    actor: &Actor,
    channel: Uuid,
    cursor: Option<(OffsetDateTime, Uuid)>,
    limit: i64,
) -> AppResult<(Vec<FileInfo>, Option<(OffsetDateTime, Uuid)>)> {
    access(db, actor, channel).await?;
    let (at, id) = cursor.unzip();
    let mut rows = sqlx::query_as!(
        FileRow,
        r#"select f.file_id, f.name, b.mimetype, b.size, b.width, b.height, b.thumb_state,
                  f.channel_id, f.seq, f.member_id, f.created_at
           from file f join blob b using (blob_id)
           where f.channel_id = $1 and ($2::timestamptz is null or (f.created_at, f.file_id) < ($2, $3))
           order by f.created_at desc, f.file_id desc limit $4"#,
        channel,
        at,
        id,
        limit + 1
    )
    .fetch_all(db)
    .await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| (r.created_at, r.file_id))
    } else {
        None
    };
    Ok((rows.into_iter().map(FileRow::into_info).collect(), next))
}

/// What the download route needs to serve a file.
#[derive(Debug)]
pub struct Download {
    pub blob_id: Uuid,
    pub workspace_id: Uuid,
    pub name: String,
    pub mimetype: String,
    pub size: i64,
    pub storage_key: String,
    pub sha256: Vec<u8>,
    pub thumb_state: String,
    pub thumb_key: Option<String>,
}

/// The file's storage details, if the caller can read its channel; anyone
/// else (other workspaces, outsiders of private channels) gets `file_not_found`.
pub async fn for_download(db: &PgPool, actor: &Actor, file: Uuid) -> AppResult<Download> {
    let r = sqlx::query!(
        r#"select f.channel_id, f.name, b.blob_id, b.workspace_id, b.mimetype, b.size, b.storage_key, b.sha256,
                  b.thumb_state, b.thumb_key
           from file f join blob b using (blob_id) where f.file_id = $1 and f.workspace_id = $2"#,
        file,
        actor.workspace_id
    )
    .fetch_optional(db)
    .await?
    .ok_or(AppError::NotFound(Missing::File))?;
    access(db, actor, r.channel_id).await.map_err(|_| AppError::NotFound(Missing::File))?;
    Ok(Download {
        blob_id: r.blob_id,
        workspace_id: r.workspace_id,
        name: r.name,
        mimetype: r.mimetype,
        size: r.size,
        storage_key: r.storage_key,
        sha256: r.sha256,
        thumb_state: r.thumb_state,
        thumb_key: r.thumb_key,
    })
}

/// The next objects to remove from the store.
pub async fn trash(db: &PgPool, limit: i64) -> AppResult<Vec<String>> {
    Ok(sqlx::query_scalar!("select storage_key from storage_trash order by queued_at limit $1", limit)
        .fetch_all(db)
        .await?)
}
