//! Deleting files: a message's files go with it, a file can be deleted on
//! its own, and content nothing refers to any more is dropped with its
//! object keys queued in `storage_trash` in the same transaction, for the
//! sweeper (`FileService::sweep_now`) to remove from the store.

use uuid::Uuid;

use super::blobs::release_blobs;
use super::queries::row;
use crate::auth::Actor;
use crate::channels::queries::lock;
use crate::core::ctx::Ctx;
use crate::error::{AppError, AppResult, Missing, Refusal};
use crate::realtime::Event;

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
    let a = lock(&mut tx, actor, r.channel_id).await.map_err(|_| AppError::NotFound(Missing::File))?;
    a.require_open()?;
    if r.member_id != actor.member_id && !actor.role.is_admin() {
        return Err(AppError::Refused(Refusal::CantDeleteFile));
    }
    let blob = sqlx::query_scalar!("delete from file where file_id = $1 returning blob_id", file)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound(Missing::File))?;
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
        crate::messages::actions::delete_as_system(&mut tx, r.channel_id, r.seq, actor.member_id).await?;
        FileDeleted::MessageDeleted { channel: r.channel_id, seq: r.seq }
    } else {
        let message = crate::messages::queries::get(&mut tx, r.channel_id, r.seq).await?;
        tx.emit_to_channel(r.channel_id, Event::MessageUpdated { message });
        FileDeleted::MessageKept { channel: r.channel_id, seq: r.seq }
    };
    tx.commit().await?;
    Ok(done)
}
