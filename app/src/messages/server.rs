//! Server-only message actions and reads. Every function takes the channel
//! id from the client through `channels::server::access` first; writes lock
//! the channel (`channels::server::lock`) and need its [`Writable`] proof.
//!
//! Each write emits its events in its own transaction, built from what it
//! wrote: `message_created` (and `thread_reply` with the root's new count),
//! `message_updated`, `message_deleted`.

use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

pub use super::changes::{delete, delete_as_system, update};
pub use super::history::{history, replay, replies, HistoryPage};
use super::markdown::{mention_fragments, render, Rendered};
use super::{validate_caption, validate_client_msg_id, validate_text, Message};
use crate::auth::Actor;
use crate::channels::server::{lock, Writable};
use crate::core::ctx::Ctx;
use crate::core::tx::Tx;
use crate::db::unique_violation;
use crate::error::{AppError, AppResult};
use crate::realtime::Event;

/// A stored message row (author name joined in).
#[derive(Debug)]
pub(super) struct Row {
    pub channel_id: Uuid,
    pub seq: i64,
    pub member_id: Uuid,
    pub user_name: String,
    pub thread_seq: Option<i64>,
    pub also_in_channel: bool,
    pub client_msg_id: Option<String>,
    pub body: String,
    pub html: String,
    pub mentions: Vec<Uuid>,
    pub mentions_all: bool,
    pub reply_count: i32,
    pub last_reply_at: Option<OffsetDateTime>,
    pub edited_at: Option<OffsetDateTime>,
    pub deleted_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub file_count: i16,
}

impl Row {
    pub(super) fn into_message(self) -> Message {
        Message {
            channel: self.channel_id,
            seq: self.seq,
            user: self.member_id,
            user_name: self.user_name,
            text: self.body,
            html: self.html,
            thread_seq: self.thread_seq,
            also_in_channel: self.also_in_channel,
            reply_count: self.reply_count,
            last_reply_at: self.last_reply_at,
            reactions: Vec::new(),
            mentions: self.mentions,
            mentions_all: self.mentions_all,
            client_msg_id: self.client_msg_id,
            is_deleted: self.deleted_at.is_some(),
            files: Vec::new(),
            edited_at: self.edited_at,
            created_at: self.created_at,
        }
    }
}

/// Turns rows into messages with their reactions and files (one query each
/// for the page).
pub(super) async fn with_reactions(
    db: &mut PgConnection,
    channel: Uuid,
    rows: Vec<Row>,
) -> AppResult<Vec<Message>> {
    let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
    let mut by_seq = super::reactions::for_messages(&mut *db, channel, &seqs).await?;
    let with_files: Vec<i64> = rows.iter().filter(|r| r.file_count > 0).map(|r| r.seq).collect();
    let mut files = crate::files::server::for_messages(&mut *db, channel, &with_files).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut m = r.into_message();
            m.reactions = by_seq.remove(&m.seq).unwrap_or_default();
            m.files = files.remove(&m.seq).unwrap_or_default();
            m
        })
        .collect())
}

/// One message by seq, with reactions; deleted ones are tombstones.
pub async fn get(db: &mut PgConnection, channel: Uuid, seq: i64) -> AppResult<Message> {
    let row = sqlx::query_as!(
        Row,
        r#"select g.channel_id, g.seq, g.member_id, m.display_name as user_name, g.thread_seq,
                  g.also_in_channel, g.client_msg_id, g.body, g.html, g.mentions, g.mentions_all,
                  g.reply_count, g.last_reply_at, g.edited_at, g.deleted_at, g.created_at, g.file_count
           from message g join member m using (member_id) where g.channel_id = $1 and g.seq = $2"#,
        channel,
        seq
    )
    .fetch_optional(&mut *db)
    .await?
    .ok_or(AppError::NotFound("message_not_found"))?;
    Ok(with_reactions(db, channel, vec![row]).await?.remove(0))
}

/// Finds the members a text may mention and renders it.
pub(super) async fn render_for(db: &PgPool, actor: &Actor, text: &str) -> AppResult<Rendered> {
    let frags: Vec<String> = mention_fragments(text).into_iter().map(|f| f.to_lowercase()).collect();
    let people = if frags.is_empty() {
        Vec::new()
    } else {
        sqlx::query!(
            r#"select member_id, display_name from member
               where workspace_id = $1 and deactivated_at is null
                 and exists (select 1 from unnest($2::text[]) f
                             where f like replace(replace(replace(lower(display_name), '\', '\\'), '%', '\%'), '_', '\_') || '%')"#,
            actor.workspace_id,
            &frags
        )
        .fetch_all(db)
        .await?
        .into_iter()
        .map(|r| (r.member_id, r.display_name))
        .collect()
    };
    Ok(render(text, &people))
}

/// What `chat.postMessage` sends.
#[derive(Debug, Clone, Default)]
pub struct SendInput {
    pub channel: Uuid,
    pub text: String,
    pub client_msg_id: Option<String>,
    pub thread_seq: Option<i64>,
    pub also_send_to_channel: bool,
    /// Stored uploads to share with the message (then `text` may be blank).
    pub files: Vec<crate::files::server::NewFile>,
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
        return Err(AppError::Invalid("too_many_files"));
    }
    let client_msg_id = validate_client_msg_id(input.client_msg_id.as_deref())?;
    let rendered = render_for(ctx, actor, &input.text).await?;
    let mut tx = ctx.begin().await?;
    let w = lock(&mut tx, actor, input.channel).await?.writable()?;
    let root = match input.thread_seq {
        Some(seq) => Some(thread_root(&mut tx, input.channel, seq).await?),
        None => None,
    };
    match insert(&mut tx, &w, actor, &input, root, client_msg_id.as_deref(), &rendered).await {
        Ok(ins) => {
            let files = if input.files.is_empty() {
                Vec::new()
            } else {
                crate::files::server::attach(&mut tx, actor, input.channel, ins.seq, &input.files).await?
            };
            let message = Message {
                channel: input.channel,
                seq: ins.seq,
                user: actor.member_id,
                user_name: ins.user_name,
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

/// `message_created`, and for a reply the root's new reply count.
fn announce_created(tx: &mut Tx, m: &Message, root: Option<(i64, i32, Option<OffsetDateTime>)>) {
    tx.emit_to_channel(m.channel, Event::MessageCreated { message: m.clone() });
    if let Some((thread_seq, reply_count, last_reply_at)) = root {
        let ev =
            Event::ThreadReply { channel: m.channel, thread_seq, reply_count, last_reply_at, user: m.user };
        tx.emit_to_channel(m.channel, ev);
    }
}

/// The root seq of the thread `seq` belongs to (replies to a reply go to its root).
pub(super) async fn thread_root(tx: &mut PgConnection, channel: Uuid, seq: i64) -> AppResult<i64> {
    sqlx::query_scalar!(
        "select coalesce(thread_seq, seq) as \"root!\" from message where channel_id = $1 and seq = $2",
        channel,
        seq
    )
    .fetch_optional(tx)
    .await?
    .ok_or(AppError::NotFound("thread_not_found"))
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
