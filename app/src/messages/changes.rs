//! Changing and removing messages: edits (author only), deletes (author or
//! admin) that leave a tombstone, and the system delete used when a
//! message's last file goes. Each runs in one `Tx` under the channel lock and
//! emits `message_updated`, or `message_deleted` plus the thread root's new
//! `thread_reply` count.

use sqlx::PgConnection;
use uuid::Uuid;

use super::server::{get, render_for};
use super::{validate_text, Message};
use crate::auth::Actor;
use crate::channels::server::lock;
use crate::core::ctx::Ctx;
use crate::core::tx::Tx;
use crate::error::{AppError, AppResult};
use crate::realtime::Event;

/// The author and state of a live message; deleted ones are `message_not_found`.
async fn live_author(db: &mut PgConnection, channel: Uuid, seq: i64) -> AppResult<(Uuid, Option<i64>)> {
    let r = sqlx::query!(
        "select member_id, thread_seq from message where channel_id = $1 and seq = $2 and deleted_at is null",
        channel,
        seq
    )
    .fetch_optional(db)
    .await?
    .ok_or(AppError::NotFound("message_not_found"))?;
    Ok((r.member_id, r.thread_seq))
}

/// Edits a message: only its author, only while the channel is open.
pub async fn update(ctx: &Ctx, actor: &Actor, channel: Uuid, seq: i64, text: &str) -> AppResult<Message> {
    validate_text(text)?;
    let r = render_for(ctx, actor, text).await?;
    let mut tx = ctx.begin().await?;
    lock(&mut tx, actor, channel).await?.writable()?;
    let (author, _) = live_author(&mut tx, channel, seq).await?;
    if author != actor.member_id {
        return Err(AppError::Refused("cant_update_message"));
    }
    sqlx::query!(
        "update message set body = $3, html = $4, mentions = $5, mentions_all = $6, edited_at = now()
         where channel_id = $1 and seq = $2 and deleted_at is null",
        channel,
        seq,
        text,
        r.html,
        &r.mentions,
        r.mentions_all
    )
    .execute(&mut *tx)
    .await?;
    // The edited row with its reactions and files, read in the same
    // transaction: the event carries the whole message the client replaces.
    let message = get(&mut tx, channel, seq).await?;
    tx.emit_to_channel(channel, Event::MessageUpdated { message: message.clone() });
    tx.commit().await?;
    Ok(message)
}

/// Deletes a message, leaving a tombstone: its author, or an admin.
pub async fn delete(ctx: &Ctx, actor: &Actor, channel: Uuid, seq: i64) -> AppResult<()> {
    let mut tx = ctx.begin().await?;
    let a = lock(&mut tx, actor, channel).await?;
    a.require_open()?;
    let (author, thread_seq) = live_author(&mut tx, channel, seq).await?;
    let (s, t) = crate::channels::server::policy(actor, &a);
    if !crate::core::policy::can_delete_message(&s, &t, author) {
        return Err(AppError::Refused("cant_delete_message"));
    }
    tombstone(&mut tx, channel, seq, thread_seq, actor.member_id).await?;
    tx.commit().await
}

/// Deletes a message without checking who asks, inside the caller's
/// transaction: for a message whose last file was just deleted by someone
/// allowed to.
pub async fn delete_as_system(tx: &mut Tx, channel: Uuid, seq: i64, by: Uuid) -> AppResult<()> {
    let (_, thread_seq) = live_author(tx, channel, seq).await?;
    tombstone(tx, channel, seq, thread_seq, by).await
}

/// Replaces a message with a tombstone: text, reactions and files go (files
/// shared nowhere else are queued for removal from storage). A reply's root
/// gets its new count; `by` is who deleted it.
async fn tombstone(tx: &mut Tx, channel: Uuid, seq: i64, thread_seq: Option<i64>, by: Uuid) -> AppResult<()> {
    let done = sqlx::query!(
        "update message set body = '', html = '', mentions = '{}', mentions_all = false, deleted_at = now()
         where channel_id = $1 and seq = $2 and deleted_at is null",
        channel,
        seq
    )
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(AppError::NotFound("message_not_found"));
    }
    sqlx::query!("delete from reaction where channel_id = $1 and seq = $2", channel, seq)
        .execute(&mut **tx)
        .await?;
    crate::files::server::detach_message(tx, channel, seq).await?;
    if let Some(root) = thread_seq {
        let t = sqlx::query!(
            "update message set reply_count = greatest(reply_count - 1, 0) where channel_id = $1 and seq = $2
             returning reply_count, last_reply_at",
            channel,
            root
        )
        .fetch_one(&mut **tx)
        .await?;
        tx.emit_to_channel(channel, Event::MessageDeleted { channel, seq, thread_seq });
        let ev = Event::ThreadReply {
            channel,
            thread_seq: root,
            reply_count: t.reply_count,
            last_reply_at: t.last_reply_at,
            user: by,
        };
        tx.emit_to_channel(channel, ev);
    } else {
        tx.emit_to_channel(channel, Event::MessageDeleted { channel, seq, thread_seq });
    }
    Ok(())
}
