//! Writing messages, each in one `Tx` under the channel lock
//! (`channels::queries::lock`, whose [`Writable`] proof an insert needs),
//! emitting its events from what it wrote:
//! - sending, with idempotent `client_msg_id` retries: `message_created`,
//!   and for a thread reply the root's new `thread_reply` count;
//! - edits (author only): `message_updated`;
//! - deletes (author or admin) that leave a tombstone, and the system delete
//!   used when a message's last file goes: `message_deleted` plus the
//!   thread root's new count.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::markdown::Rendered;
use super::queries::{get, render_for, thread_root};
use super::{validate_caption, validate_client_msg_id, validate_text, Message};
use crate::auth::Actor;
use crate::channels::queries::{lock, Writable};
use crate::core::ctx::Ctx;
use crate::core::tx::Tx;
use crate::db::unique_violation;
use crate::error::{AppError, AppResult, Missing, Refusal, Rule};
use crate::realtime::Event;

/// What `chat.postMessage` sends.
#[derive(Debug, Clone, Default)]
pub struct SendInput {
    pub channel: Uuid,
    pub text: String,
    pub client_msg_id: Option<String>,
    pub thread_seq: Option<i64>,
    pub also_send_to_channel: bool,
    /// Stored uploads to share with the message (then `text` may be blank).
    pub files: Vec<crate::files::blobs::NewFile>,
}

async fn by_client_msg_id(
    db: &mut PgConnection,
    actor: &Actor,
    channel: Uuid,
    id: &str,
) -> AppResult<Option<Message>> {
    let seq = sqlx::query_scalar!(
        "select seq from message where channel_id = $1 and member_id = $2 and client_msg_id = $3",
        channel,
        actor.member_id,
        id
    )
    .fetch_optional(&mut *db)
    .await?;
    match seq {
        Some(seq) => Ok(Some(get(db, channel, seq).await?)),
        None => Ok(None),
    }
}

/// Posts a message (or a thread reply). A retry with the same
/// `client_msg_id` returns the original message and stores nothing new.
pub async fn send(ctx: &Ctx, actor: &Actor, input: SendInput) -> AppResult<Message> {
    send_new(ctx, actor, input).await.map(|(m, _)| m)
}

/// Like [`send`], and says whether the message is new (`false` for a retry
/// that found the original).
///
/// No lookup before the insert: the unique `client_msg_id` constraint
/// catches a retry inside the transaction (which then rolls back and gives
/// its seq back), and the new message is built from what was written
/// instead of read back. A retry announces the original again: if the first
/// attempt's node died between its commit and its publish, this is what
/// delivers it (clients drop a seq they already have).
pub async fn send_new(ctx: &Ctx, actor: &Actor, input: SendInput) -> AppResult<(Message, bool)> {
    if input.files.is_empty() {
        validate_text(&input.text)?;
    } else {
        validate_caption(&input.text)?;
    }
    if input.files.len() > crate::files::MAX_FILES_PER_MESSAGE {
        return Err(AppError::Invalid(Rule::TooManyFiles));
    }
    let client_msg_id = validate_client_msg_id(input.client_msg_id.as_deref())?;
    let rendered = render_for(ctx, actor, &input.text).await?;
    let mut tx = ctx.begin().await?;
    let w = lock(&mut tx, actor, input.channel).await?.writable()?;
    check_broadcast(&mut tx, actor, &w, rendered.mentions_all).await?;
    let root = match input.thread_seq {
        Some(seq) => Some(thread_root(&mut tx, input.channel, seq).await?),
        None => None,
    };
    match insert(&mut tx, &w, actor, &input, root, client_msg_id.as_deref(), &rendered).await {
        Ok(ins) => {
            let files = if input.files.is_empty() {
                Vec::new()
            } else {
                crate::files::blobs::attach(&mut tx, actor, input.channel, ins.seq, &input.files).await?
            };
            if let Some(root) = root {
                let mentioned = &rendered.mentions;
                crate::notify::store::follow_thread(&mut tx, input.channel, root, actor.member_id, mentioned)
                    .await?;
            }
            let (me, dm, mentioned) = (actor.member_id, w.kind.is_dm(), &rendered.mentions);
            let everyone = rendered.mentions_all && crate::notify::rules::reaches_everyone(&rendered.html);
            let reach = crate::notify::missed::Reach { is_dm: dm, mentioned, everyone };
            let after = crate::notify::missed::delay();
            crate::notify::missed::queue(&mut tx, input.channel, ins.seq, me, reach, after).await?;
            let pointed = dm || !mentioned.is_empty() || rendered.mentions_all || root.is_some();
            let kind = crate::notify::push::store::Kind { pointed };
            crate::notify::push::store::queue(&mut tx, input.channel, ins.seq, me, kind).await?;
            let message = Message {
                channel: input.channel,
                seq: ins.seq,
                user: actor.member_id,
                user_name: ins.user_name,
                user_deactivated: false,
                text: input.text,
                html: rendered.html,
                thread_seq: root,
                also_in_channel: root.is_some() && input.also_send_to_channel,
                reply_count: 0,
                last_reply_at: None,
                reactions: Vec::new(),
                mentions: rendered.mentions,
                mentions_all: rendered.mentions_all,
                client_msg_id,
                is_deleted: false,
                files,
                edited_at: None,
                created_at: ins.created_at,
            };
            announce_created(&mut tx, &message, ins.root);
            tx.commit().await?;
            Ok((message, true))
        }
        // On a partitioned table the violated constraint is named after the
        // partition's index (`message_p3_channel_id_member_id_client_msg_id_key`).
        Err(e) if unique_violation(&e).is_some_and(|c| c.contains("client_msg_id")) => {
            // A retry (or a concurrent one won the race); the rollback returned our seq.
            drop(tx);
            let id = client_msg_id.as_deref().unwrap_or_default();
            let mut tx = ctx.begin().await?;
            let original =
                by_client_msg_id(&mut tx, actor, input.channel, id).await?.ok_or(AppError::Internal)?;
            if !original.is_deleted {
                tx.emit_to_channel(original.channel, Event::MessageCreated { message: original.clone() });
            }
            tx.commit().await?;
            Ok((original, false))
        }
        Err(e) => Err(e.into()),
    }
}

/// `@channel`, `@here` and `@everyone` in a channel larger than the
/// workspace lets non-admins address (`/admin/settings`): `cant_broadcast`.
/// Read only for such messages, so ordinary sends pay nothing.
async fn check_broadcast(tx: &mut Tx, actor: &Actor, w: &Writable, mentions_all: bool) -> AppResult<()> {
    if !mentions_all || w.kind.is_dm() || actor.role.is_admin() {
        return Ok(());
    }
    let rules = crate::workspaces::settings::rules(&mut **tx, actor.workspace_id).await?;
    if rules.broadcast_admins_over.is_none() {
        return Ok(());
    }
    let members: i32 = sqlx::query_scalar("select member_count from channel where channel_id = $1")
        .bind(w.channel())
        .fetch_one(&mut **tx)
        .await?;
    let s = crate::core::policy::Subject { member: actor.member_id, role: actor.role };
    if crate::core::policy::can_broadcast(&s, members, &rules) {
        Ok(())
    } else {
        Err(AppError::Refused(Refusal::CantBroadcast))
    }
}

/// `message_created`, and for a reply the root's new reply count.
fn announce_created(tx: &mut Tx, m: &Message, root: Option<(i64, i32, Option<OffsetDateTime>)>) {
    tx.emit_to_channel(m.channel, Event::MessageCreated { message: m.clone() });
    if let Some((thread_seq, reply_count, last_reply_at)) = root {
        let ev =
            Event::ThreadReply { channel: m.channel, thread_seq, reply_count, last_reply_at, user: m.user };
        tx.emit_to_channel(m.channel, ev);
    }
}

/// What an insert wrote.
struct Inserted {
    seq: i64,
    created_at: OffsetDateTime,
    user_name: String,
    /// For a reply: the root's seq, new reply count and last reply time.
    root: Option<(i64, i32, Option<OffsetDateTime>)>,
}

async fn insert(
    tx: &mut PgConnection,
    _proof: &Writable,
    actor: &Actor,
    input: &SendInput,
    root: Option<i64>,
    client_msg_id: Option<&str>,
    r: &Rendered,
) -> Result<Inserted, sqlx::Error> {
    // The row lock on the channel (taken by `lock`, held until commit)
    // serialises sends per channel, which is what makes seqs gap-free and unique.
    let seq = sqlx::query_scalar!(
        "update channel set last_seq = last_seq + 1, last_message_at = now() where channel_id = $1 returning last_seq",
        input.channel
    )
    .fetch_one(&mut *tx)
    .await?;
    let row = sqlx::query!(
        r#"insert into message (channel_id, seq, member_id, thread_seq, also_in_channel, client_msg_id, body, html,
                              mentions, mentions_all)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         returning created_at, (select display_name from member where member_id = $3) as "user_name!""#,
        input.channel,
        seq,
        actor.member_id,
        root,
        root.is_some() && input.also_send_to_channel,
        client_msg_id,
        input.text,
        r.html,
        &r.mentions,
        r.mentions_all
    )
    .fetch_one(&mut *tx)
    .await?;
    let mut thread = None;
    if let Some(root) = root {
        let t = sqlx::query!(
            "update message set reply_count = reply_count + 1, last_reply_at = now() where channel_id = $1 and seq = $2
             returning reply_count, last_reply_at",
            input.channel,
            root
        )
        .fetch_one(&mut *tx)
        .await?;
        thread = Some((root, t.reply_count, t.last_reply_at));
    }
    Ok(Inserted { seq, created_at: row.created_at, user_name: row.user_name, root: thread })
}

/// The author and state of a live message; deleted ones are `message_not_found`.
async fn live_author(db: &mut PgConnection, channel: Uuid, seq: i64) -> AppResult<(Uuid, Option<i64>)> {
    let r = sqlx::query!(
        "select member_id, thread_seq from message where channel_id = $1 and seq = $2 and deleted_at is null",
        channel,
        seq
    )
    .fetch_optional(db)
    .await?
    .ok_or(AppError::NotFound(Missing::Message))?;
    Ok((r.member_id, r.thread_seq))
}

/// Edits a message: only its author, only while the channel is open.
pub async fn update(ctx: &Ctx, actor: &Actor, channel: Uuid, seq: i64, text: &str) -> AppResult<Message> {
    validate_text(text)?;
    let r = render_for(ctx, actor, text).await?;
    let mut tx = ctx.begin().await?;
    let w = lock(&mut tx, actor, channel).await?.writable()?;
    let (author, _) = live_author(&mut tx, channel, seq).await?;
    if author != actor.member_id {
        return Err(AppError::Refused(Refusal::CantUpdateMessage));
    }
    check_broadcast(&mut tx, actor, &w, r.mentions_all).await?;
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
    let (s, t) = crate::channels::queries::policy(actor, &a);
    if !crate::core::policy::can_delete_message(&s, &t, author) {
        return Err(AppError::Refused(Refusal::CantDeleteMessage));
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
        return Err(AppError::NotFound(Missing::Message));
    }
    sqlx::query!("delete from reaction where channel_id = $1 and seq = $2", channel, seq)
        .execute(&mut **tx)
        .await?;
    crate::files::blobs::detach_message(tx, channel, seq).await?;
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
