//! Stored content, written without events: blobs and their object keys,
//! attaching files to a message being sent, thumbnails, and releasing
//! content nothing refers to. A leaf that needs nothing but the database
//! (the actions that call it emit their own events), so that deleting a
//! message (`messages`) and deleting a file (`files`) can both free content
//! without the two domains importing each other.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::queries::{find_blob, FileRow};
use super::FileInfo;
use crate::auth::Actor;
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

/// Records a blob; if the same content was recorded concurrently, returns
/// that one and `false` (the caller then deletes its own object).
pub async fn insert_blob(db: &PgPool, b: &NewBlob) -> AppResult<(Uuid, bool)> {
    // An image whose header could not be read within the decoder's limits
    // (a decompression bomb, a broken file) gets no thumbnail, so no
    // `thumb_url` is ever handed out for it.
    let thumb_state = match (super::is_inline_image(&b.mimetype), b.width, b.height) {
        (false, _, _) => "none",
        (true, Some(_), Some(_)) => "pending",
        (true, _, _) => "failed",
    };
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

/// Forgets an object once it is gone from the store.
pub async fn untrash(db: &PgPool, key: &str) -> AppResult<()> {
    sqlx::query!("delete from storage_trash where storage_key = $1", key).execute(db).await?;
    Ok(())
}

/// Deletes blobs no file refers to any more and queues their objects for
/// the sweeper, inside the caller's transaction.
pub async fn release_blobs(tx: &mut PgConnection, blobs: &[Uuid]) -> Result<u64, sqlx::Error> {
    if blobs.is_empty() {
        return Ok(0);
    }
    let gone = sqlx::query!(
        "delete from blob b where b.blob_id = any($1) and not exists (select 1 from file f where f.blob_id = b.blob_id)
         returning storage_key, thumb_key",
        blobs
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut keys: Vec<String> = Vec::new();
    for g in &gone {
        keys.push(g.storage_key.clone());
        keys.extend(g.thumb_key.clone());
    }
    sqlx::query!(
        "insert into storage_trash (storage_key) select unnest($1::text[]) on conflict do nothing",
        &keys
    )
    .execute(&mut *tx)
    .await?;
    Ok(gone.len() as u64)
}

/// Removes a message's files (it is being deleted), releasing their blobs.
pub async fn detach_message(tx: &mut PgConnection, channel: Uuid, seq: i64) -> Result<(), sqlx::Error> {
    let blobs: Vec<Uuid> = sqlx::query_scalar!(
        "delete from file where channel_id = $1 and seq = $2 returning blob_id",
        channel,
        seq
    )
    .fetch_all(&mut *tx)
    .await?;
    if !blobs.is_empty() {
        sqlx::query!("update message set file_count = 0 where channel_id = $1 and seq = $2", channel, seq)
            .execute(&mut *tx)
            .await?;
    }
    release_blobs(tx, &blobs).await.map(|_| ())
}
