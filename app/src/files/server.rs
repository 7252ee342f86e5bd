//! Files in Postgres: blobs (deduplicated content), file rows (one per
//! shared upload), reads with access checks, and deletion that queues
//! unreferenced objects in `storage_trash` in the same transaction.

use std::collections::HashMap;

use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use super::FileInfo;
use crate::auth::Actor;
use crate::channels::server::access;
use crate::error::{AppError, AppResult};

/// A file to share with a message: stored content plus the name it was
/// uploaded under.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub blob_id: Uuid,
    pub name: String,
}

/// Content about to be recorded as a blob.
#[derive(Debug, Clone)]
pub struct NewBlob {
    pub blob_id: Uuid,
    pub workspace_id: Uuid,
    pub sha256: Vec<u8>,
    pub mimetype: String,
    pub size: i64,
    pub storage_key: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
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
fn encode_segment(name: &str) -> String {
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

#[derive(Debug)]
pub(super) struct FileRow {
    file_id: Uuid,
    name: String,
    mimetype: String,
    size: i64,
    width: Option<i32>,
    height: Option<i32>,
    thumb_state: String,
    pub(super) channel_id: Uuid,
    pub(super) seq: i64,
    pub(super) member_id: Uuid,
    created_at: OffsetDateTime,
}

impl FileRow {
    fn into_info(self) -> FileInfo {
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

/// Records a blob; if the same content was recorded concurrently, returns
/// that one and `false` (the caller then deletes its own object).
pub async fn insert_blob(db: &PgPool, b: &NewBlob) -> AppResult<(Uuid, bool)> {
    let thumb_state = if super::is_inline_image(&b.mimetype) { "pending" } else { "none" };
    let inserted = sqlx::query_scalar!(
        "insert into blob (blob_id, workspace_id, sha256, mimetype, size, storage_key, width, height, thumb_state)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         on conflict (workspace_id, sha256) do nothing returning blob_id",
        b.blob_id,
        b.workspace_id,
        b.sha256,
        b.mimetype,
        b.size,
        b.storage_key,
        b.width,
        b.height,
        thumb_state
    )
    .fetch_optional(db)
    .await?;
    match inserted {
        Some(id) => Ok((id, true)),
        None => {
            let id = find_blob(db, b.workspace_id, &b.sha256).await?.ok_or(AppError::Internal)?;
            Ok((id, false))
        }
    }
}

/// Shares files into a just-inserted message (inside the send transaction).
pub async fn attach(
    tx: &mut PgConnection,
    actor: &Actor,
    channel: Uuid,
    seq: i64,
    files: &[NewFile],
) -> Result<Vec<FileInfo>, sqlx::Error> {
    for (i, f) in files.iter().enumerate() {
        sqlx::query!(
            "insert into file (file_id, workspace_id, blob_id, member_id, channel_id, seq, position, name)
             values ($1, $2, $3, $4, $5, $6, $7, $8)",
            Uuid::now_v7(),
            actor.workspace_id,
            f.blob_id,
            actor.member_id,
            channel,
            seq,
            i as i16,
            f.name
        )
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query!(
        "update message set file_count = $3 where channel_id = $1 and seq = $2",
        channel,
        seq,
        files.len() as i16
    )
    .execute(&mut *tx)
    .await?;
    // Read back in position order, with the blobs' details (at most 10 rows).
    let rows = sqlx::query_as!(
        FileRow,
        r#"select f.file_id, f.name, b.mimetype, b.size, b.width, b.height, b.thumb_state,
                  f.channel_id, f.seq, f.member_id, f.created_at
           from file f join blob b using (blob_id) where f.channel_id = $1 and f.seq = $2 order by f.position"#,
        channel,
        seq
    )
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows.into_iter().map(FileRow::into_info).collect())
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
    .ok_or(AppError::NotFound("file_not_found"))
}

/// One file, if the caller can read the channel it was shared in.
pub async fn info(db: &PgPool, actor: &Actor, file: Uuid) -> AppResult<FileInfo> {
    let r = row(db, file, actor.workspace_id).await?;
    access(db, actor, r.channel_id).await.map_err(|_| AppError::NotFound("file_not_found"))?;
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
    .ok_or(AppError::NotFound("file_not_found"))?;
    access(db, actor, r.channel_id).await.map_err(|_| AppError::NotFound("file_not_found"))?;
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

pub use super::deletion::{delete, detach_message, release_blobs, trash, untrash, FileDeleted};

/// Records a made thumbnail (or that none can be made).
pub async fn set_thumb(db: &PgPool, blob: Uuid, made: Option<(&str, u32, u32)>) -> AppResult<()> {
    match made {
        Some((key, w, h)) => {
            sqlx::query!(
                "update blob set thumb_state = 'ready', thumb_key = $2, thumb_width = $3, thumb_height = $4
             where blob_id = $1",
                blob,
                key,
                w as i32,
                h as i32
            )
            .execute(db)
            .await?
        }
        None => {
            sqlx::query!("update blob set thumb_state = 'failed' where blob_id = $1", blob)
                .execute(db)
                .await?
        }
    };
    Ok(())
}
