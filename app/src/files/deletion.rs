//! Deleting files: a message's files go with it, a file can be deleted on
//! its own, and content nothing refers to any more is dropped with its
//! object keys queued in `storage_trash` in the same transaction, for the
//! sweeper (`FileService::sweep_now`) to remove from the store.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::server::row;
use crate::auth::Actor;
use crate::channels::server::lock;
use crate::core::ctx::Ctx;
use crate::error::{AppError, AppResult};
use crate::realtime::Event;

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

/// What deleting a file did to its message.
#[derive(Debug, PartialEq, Eq)]
pub enum FileDeleted {
    /// The message still has text or other files (`message_updated`).
    MessageKept { channel: Uuid, seq: i64 },
    /// The message held nothing else, so it was deleted too (`message_deleted`).
    MessageDeleted { channel: Uuid, seq: i64 },
}

/// Deletes a file: the person who shared it, or an admin. Its message is
/// announced as updated, or as deleted when nothing is left of it.
pub async fn delete(ctx: &Ctx, actor: &Actor, file: Uuid) -> AppResult<FileDeleted> {
    let r = row(ctx, file, actor.workspace_id).await?;
    let mut tx = ctx.begin().await?;
    let a = lock(&mut tx, actor, r.channel_id).await.map_err(|_| AppError::NotFound("file_not_found"))?;
    a.require_open()?;
    if r.member_id != actor.member_id && !actor.role.is_admin() {
        return Err(AppError::Refused("cant_delete_file"));
    }
    let blob = sqlx::query_scalar!("delete from file where file_id = $1 returning blob_id", file)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound("file_not_found"))?;
    release_blobs(&mut tx, &[blob]).await?;
    let m = sqlx::query!(
        "update message set file_count = greatest(file_count - 1, 0) where channel_id = $1 and seq = $2
         returning file_count, body",
        r.channel_id,
        r.seq
    )
    .fetch_one(&mut *tx)
    .await?;
    let done = if m.file_count == 0 && m.body.trim().is_empty() {
        crate::messages::server::delete_as_system(&mut tx, r.channel_id, r.seq, actor.member_id).await?;
        FileDeleted::MessageDeleted { channel: r.channel_id, seq: r.seq }
    } else {
        let message = crate::messages::server::get(&mut tx, r.channel_id, r.seq).await?;
        tx.emit_to_channel(r.channel_id, Event::MessageUpdated { message });
        FileDeleted::MessageKept { channel: r.channel_id, seq: r.seq }
    };
    tx.commit().await?;
    Ok(done)
}

/// The next objects to remove from the store.
pub async fn trash(db: &PgPool, limit: i64) -> AppResult<Vec<String>> {
    Ok(sqlx::query_scalar!("select storage_key from storage_trash order by queued_at limit $1", limit)
        .fetch_all(db)
        .await?)
}

/// Forgets an object once it is gone from the store.
pub async fn untrash(db: &PgPool, key: &str) -> AppResult<()> {
    sqlx::query!("delete from storage_trash where storage_key = $1", key).execute(db).await?;
    Ok(())
}
