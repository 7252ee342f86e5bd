//! Server-only message actions and reads. Every function takes the channel
//! id from the client through `channels::server::access` first.

use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

pub use super::history::{history, replay, replies, HistoryPage};
use super::markdown::{mention_fragments, render, Rendered};
use super::{validate_caption, validate_client_msg_id, validate_text, Message};
use crate::auth::Actor;
use crate::channels::server::access;
use crate::db::unique_violation;
use crate::error::{AppError, AppResult};

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
pub(super) async fn with_reactions(db: &PgPool, channel: Uuid, rows: Vec<Row>) -> AppResult<Vec<Message>> {
    let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
    let mut by_seq = super::reactions::for_messages(db, channel, &seqs).await?;
    let with_files: Vec<i64> = rows.iter().filter(|r| r.file_count > 0).map(|r| r.seq).collect();
    let mut files = crate::files::server::for_messages(db, channel, &with_files).await?;
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
pub async fn get(db: &PgPool, channel: Uuid, seq: i64) -> AppResult<Message> {
    let row = sqlx::query_as!(
        Row,
        r#"select g.channel_id, g.seq, g.member_id, m.display_name as user_name, g.thread_seq,
                  g.also_in_channel, g.client_msg_id, g.body, g.html, g.mentions, g.mentions_all,
                  g.reply_count, g.last_reply_at, g.edited_at, g.deleted_at, g.created_at, g.file_count
           from message g join member m using (member_id) where g.channel_id = $1 and g.seq = $2"#,
        channel,
        seq
    )
    .fetch_optional(db)
    .await?
    .ok_or(AppError::NotFound("message_not_found"))?;
    Ok(with_reactions(db, channel, vec![row]).await?.remove(0))
}

/// Finds the members a text may mention and renders it.
async fn render_for(db: &PgPool, actor: &Actor, text: &str) -> AppResult<Rendered> {
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

async fn by_client_msg_id(db: &PgPool, actor: &Actor, channel: Uuid, id: &str) -> AppResult<Option<Message>> {
    let seq = sqlx::query_scalar!(
        "select seq from message where channel_id = $1 and member_id = $2 and client_msg_id = $3",
        channel,
        actor.member_id,
        id
    )
    .fetch_optional(db)
    .await?;
    match seq {
        Some(seq) => Ok(Some(get(db, channel, seq).await?)),
        None => Ok(None),
    }
}

/// Posts a message (or a thread reply). A retry with the same
/// `client_msg_id` returns the original message and stores nothing new.
pub async fn send(db: &PgPool, actor: &Actor, input: SendInput) -> AppResult<Message> {
    send_new(db, actor, input).await.map(|(m, _)| m)
}

/// Like [`send`], and says whether the message is new (`false` for a retry
/// that found the original), so that only new messages are announced.
///
/// No lookup before the insert: the unique `client_msg_id` constraint
/// catches a retry inside the transaction (which then rolls back and gives
/// its seq back), and the new message is built from what was written
/// instead of read back, so a send costs one round trip per statement.
pub async fn send_new(db: &PgPool, actor: &Actor, input: SendInput) -> AppResult<(Message, bool)> {
    if input.files.is_empty() {
        validate_text(&input.text)?;
    } else {
        validate_caption(&input.text)?;
    }
    if input.files.len() > crate::files::MAX_FILES_PER_MESSAGE {
        return Err(AppError::Invalid("too_many_files"));
    }
    let client_msg_id = validate_client_msg_id(input.client_msg_id.as_deref())?;
    let a = access(db, actor, input.channel).await?;
    a.require_writable()?;
    let rendered = render_for(db, actor, &input.text).await?;
    let mut tx = db.begin().await?;
    let root = match input.thread_seq {
        Some(seq) => Some(thread_root(&mut tx, input.channel, seq).await?),
        None => None,
    };
    match insert(&mut tx, actor, &input, root, client_msg_id.as_deref(), &rendered).await {
        Ok((seq, created_at, user_name)) => {
            let files = if input.files.is_empty() {
                Vec::new()
            } else {
                crate::files::server::attach(&mut tx, actor, input.channel, seq, &input.files).await?
            };
            tx.commit().await?;
            let message = Message {
                channel: input.channel,
                seq,
                user: actor.member_id,
                user_name,
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
                created_at,
            };
            Ok((message, true))
        }
        // On a partitioned table the violated constraint is named after the
        // partition's index (`message_p3_channel_id_member_id_client_msg_id_key`).
        Err(e) if unique_violation(&e).is_some_and(|c| c.contains("client_msg_id")) => {
            // A retry (or a concurrent one won the race); the rollback returned our seq.
            drop(tx);
            let id = client_msg_id.as_deref().unwrap_or_default();
            let original = by_client_msg_id(db, actor, input.channel, id).await?.ok_or(AppError::Internal)?;
            Ok((original, false))
        }
        Err(e) => Err(e.into()),
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

async fn insert(
    tx: &mut PgConnection,
    actor: &Actor,
    input: &SendInput,
    root: Option<i64>,
    client_msg_id: Option<&str>,
    r: &Rendered,
) -> Result<(i64, OffsetDateTime, String), sqlx::Error> {
    // The row lock on the channel serialises sends per channel until commit,
    // which is what makes seqs gap-free and unique.
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
    if let Some(root) = root {
        sqlx::query!(
            "update message set reply_count = reply_count + 1, last_reply_at = now() where channel_id = $1 and seq = $2",
            input.channel,
            root
        )
        .execute(&mut *tx)
        .await?;
    }
    Ok((seq, row.created_at, row.user_name))
}

/// The author and state of a live message; deleted ones are `message_not_found`.
async fn live_author(db: &PgPool, channel: Uuid, seq: i64) -> AppResult<(Uuid, Option<i64>)> {
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
pub async fn update(db: &PgPool, actor: &Actor, channel: Uuid, seq: i64, text: &str) -> AppResult<Message> {
    validate_text(text)?;
    let a = access(db, actor, channel).await?;
    a.require_writable()?;
    let (author, _) = live_author(db, channel, seq).await?;
    if author != actor.member_id {
        return Err(AppError::Refused("cant_update_message"));
    }
    let r = render_for(db, actor, text).await?;
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
    .execute(db)
    .await?;
    get(db, channel, seq).await
}

/// Deletes a message, leaving a tombstone: its author, or an admin.
/// Returns the thread it was a reply in, if any.
pub async fn delete(db: &PgPool, actor: &Actor, channel: Uuid, seq: i64) -> AppResult<Option<i64>> {
    let a = access(db, actor, channel).await?;
    a.require_open()?;
    let (author, thread_seq) = live_author(db, channel, seq).await?;
    if author != actor.member_id && !actor.role.is_admin() {
        return Err(AppError::Refused("cant_delete_message"));
    }
    tombstone(db, channel, seq, thread_seq).await?;
    Ok(thread_seq)
}

/// Deletes a message without checking who asks: for a message whose last
/// file was just deleted by someone allowed to. Returns its thread.
pub async fn delete_as_system(db: &PgPool, channel: Uuid, seq: i64) -> AppResult<Option<i64>> {
    let (_, thread_seq) = live_author(db, channel, seq).await?;
    tombstone(db, channel, seq, thread_seq).await?;
    Ok(thread_seq)
}

/// Replaces a message with a tombstone: text, reactions and files go (files
/// shared nowhere else are queued for removal from storage).
async fn tombstone(db: &PgPool, channel: Uuid, seq: i64, thread_seq: Option<i64>) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let done = sqlx::query!(
        "update message set body = '', html = '', mentions = '{}', mentions_all = false, deleted_at = now()
         where channel_id = $1 and seq = $2 and deleted_at is null",
        channel,
        seq
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(AppError::NotFound("message_not_found"));
    }
    sqlx::query!("delete from reaction where channel_id = $1 and seq = $2", channel, seq)
        .execute(&mut *tx)
        .await?;
    crate::files::server::detach_message(&mut tx, channel, seq).await?;
    if let Some(root) = thread_seq {
        sqlx::query!(
            "update message set reply_count = greatest(reply_count - 1, 0) where channel_id = $1 and seq = $2",
            channel,
            root
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
