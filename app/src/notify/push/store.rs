//! Push subscriptions and the queue the pusher reads. Subscribing and
//! unsubscribing change only the caller's own device rows and announce
//! nothing (no client shows them); they take the write budget.

use sqlx::PgConnection;
use uuid::Uuid;

use super::{PushConfig, Subscription, MAX_DEVICES};
use crate::auth::{Actor, AuthVia};
use crate::core::ctx::Ctx;
use crate::error::{AppError, AppResult};

/// Stores the caller's device (`push.subscribe`). Only a browser session
/// may subscribe: the row belongs to that session and ends with it. The
/// endpoint is the device: subscribing again replaces its keys and owner.
/// Past [`MAX_DEVICES`], the member's oldest devices are dropped.
pub async fn subscribe(ctx: &Ctx, actor: &Actor, cfg: &PushConfig, sub: &Subscription) -> AppResult<()> {
    sub.validate(cfg).map_err(AppError::InvalidArguments)?;
    let session = match (actor.via, actor.credential) {
        (AuthVia::Session, Some(s)) => s,
        _ => return Err(AppError::Forbidden),
    };
    let mut tx = ctx.begin().await?;
    sqlx::query(
        "insert into push_subscription (push_subscription_id, member_id, auth_session_id, endpoint, p256dh, auth)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (endpoint) do update
            set member_id = excluded.member_id, auth_session_id = excluded.auth_session_id,
                p256dh = excluded.p256dh, auth = excluded.auth, created_at = now()",
    )
    .bind(Uuid::now_v7())
    .bind(actor.member_id)
    .bind(session)
    .bind(&sub.endpoint)
    .bind(&sub.p256dh)
    .bind(&sub.auth)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "delete from push_subscription where push_subscription_id in (
           select push_subscription_id from push_subscription where member_id = $1
            order by created_at desc offset $2)",
    )
    .bind(actor.member_id)
    .bind(MAX_DEVICES)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Removes one of the caller's devices (`push.unsubscribe`); removing one
/// that is not there (or not theirs) changes nothing and is not an error.
pub async fn unsubscribe(ctx: &Ctx, actor: &Actor, endpoint: &str) -> AppResult<bool> {
    let mut tx = ctx.begin().await?;
    let n = sqlx::query("delete from push_subscription where member_id = $1 and endpoint = $2")
        .bind(actor.member_id)
        .bind(endpoint)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(n > 0)
}

/// Forgets the devices of sessions that ended (sign-out, revocation), in
/// the transaction that ended them.
pub async fn forget_sessions(conn: &mut PgConnection, sessions: &[Uuid]) -> Result<(), sqlx::Error> {
    if sessions.is_empty() {
        return Ok(());
    }
    sqlx::query("delete from push_subscription where auth_session_id = any($1)")
        .bind(sessions)
        .execute(conn)
        .await?;
    Ok(())
}

/// What a new message is, as far as deciding whether to queue it goes.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    /// A DM, a mention of anyone or of everyone, or a thread reply: it may
    /// concern any subscribed reader.
    pub pointed: bool,
}

/// Queues a new message for the pusher, in the send's transaction, when it
/// may concern someone else in the conversation with a device subscribed:
/// anyone for a DM, a mention or a reply; for a plain channel message only
/// readers set to everything or with keywords. So a busy channel's plain
/// messages cost the pusher nothing. The check stops at the first such reader.
pub async fn queue(
    conn: &mut PgConnection,
    channel: Uuid,
    seq: i64,
    sender: Uuid,
    kind: Kind,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into push_outbox (channel_id, seq)
         select $1, $2 where exists (
           select 1 from channel_member cm
             join push_subscription p on p.member_id = cm.member_id
             join member m on m.member_id = cm.member_id
            where cm.channel_id = $1 and cm.member_id <> $3 and not cm.muted
              and ($4 or coalesce(cm.notify_level, m.notify_level) = 'all'
                   or cardinality(m.notify_keywords) > 0))
         on conflict do nothing",
    )
    .bind(channel)
    .bind(seq)
    .bind(sender)
    .bind(kind.pointed)
    .execute(conn)
    .await?;
    Ok(())
}
