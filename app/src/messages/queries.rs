//! Reading messages: pages of a channel's history, threads, the replay a
//! reconnecting socket needs, and the row-to-message helpers the actions
//! share. Nothing here writes. Every read a client asks for checks access
//! first (`channels::queries::access`).

use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use super::markdown::{mention_fragments, render, Rendered};
use super::{Message, MAX_HISTORY_PAGE};
use crate::auth::Actor;
use crate::channels::queries::access;
use crate::error::{AppError, AppResult, Missing};

/// A stored message row (author name joined in).
#[derive(Debug)]
pub(super) struct Row {
    pub channel_id: Uuid,
    pub seq: i64,
    pub member_id: Uuid,
    pub user_name: String,
    pub user_deactivated: bool,
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
            user_deactivated: self.user_deactivated,
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
    let mut files = crate::files::queries::for_messages(&mut *db, channel, &with_files).await?;
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
        r#"select g.channel_id, g.seq, g.member_id, m.display_name as user_name,
                  m.deactivated_at is not null as "user_deactivated!", g.thread_seq,
                  g.also_in_channel, g.client_msg_id, g.body, g.html, g.mentions, g.mentions_all,
                  g.reply_count, g.last_reply_at, g.edited_at, g.deleted_at, g.created_at, g.file_count
           from message g join member m using (member_id) where g.channel_id = $1 and g.seq = $2"#,
        channel,
        seq
    )
    .fetch_optional(&mut *db)
    .await?
    .ok_or(AppError::NotFound(Missing::Message))?;
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

/// The root seq of the thread `seq` belongs to (replies to a reply go to its root).
pub(super) async fn thread_root(tx: &mut PgConnection, channel: Uuid, seq: i64) -> AppResult<i64> {
    sqlx::query_scalar!(
        "select coalesce(thread_seq, seq) as \"root!\" from message where channel_id = $1 and seq = $2",
        channel,
        seq
    )
    .fetch_optional(tx)
    .await?
    .ok_or(AppError::NotFound(Missing::Thread))
}

/// A page of history, newest first.
#[derive(Debug)]
pub struct HistoryPage {
    pub messages: Vec<Message>,
    pub has_more: bool,
}

/// The channel's messages (thread replies only when also sent to the
/// channel), newest first. `before`/`after` are exclusive seqs. With only
/// `after`, the page is the oldest `limit` messages after it, and `has_more`
/// says whether newer ones exist; otherwise it says whether older ones do.
pub async fn history(
    db: &PgPool,
    actor: &Actor,
    channel: Uuid,
    before: Option<i64>,
    after: Option<i64>,
    limit: Option<i64>,
) -> AppResult<HistoryPage> {
    access(db, actor, channel).await?;
    let limit = crate::api::page_limit(limit, 50, MAX_HISTORY_PAGE);
    let forward = after.is_some() && before.is_none();
    let mut rows = if forward {
        sqlx::query_as!(
            Row,
            r#"select g.channel_id, g.seq, g.member_id, m.display_name as user_name,
                  m.deactivated_at is not null as "user_deactivated!", g.thread_seq,
                      g.also_in_channel, g.client_msg_id, g.body, g.html, g.mentions, g.mentions_all,
                      g.reply_count, g.last_reply_at, g.edited_at, g.deleted_at, g.created_at, g.file_count
               from message g join member m using (member_id)
               where g.channel_id = $1 and g.seq > $2 and (g.thread_seq is null or g.also_in_channel)
               order by g.seq limit $3"#,
            channel,
            after.unwrap_or(0),
            limit + 1
        )
        .fetch_all(db)
        .await?
    } else {
        sqlx::query_as!(
            Row,
            r#"select g.channel_id, g.seq, g.member_id, m.display_name as user_name,
                  m.deactivated_at is not null as "user_deactivated!", g.thread_seq,
                      g.also_in_channel, g.client_msg_id, g.body, g.html, g.mentions, g.mentions_all,
                      g.reply_count, g.last_reply_at, g.edited_at, g.deleted_at, g.created_at, g.file_count
               from message g join member m using (member_id)
               where g.channel_id = $1 and g.seq < $2 and g.seq > $3
                 and (g.thread_seq is null or g.also_in_channel)
               order by g.seq desc limit $4"#,
            channel,
            before.unwrap_or(i64::MAX),
            after.unwrap_or(0),
            limit + 1
        )
        .fetch_all(db)
        .await?
    };
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    if forward {
        rows.reverse();
    }
    Ok(HistoryPage { messages: with_reactions(&mut *db.acquire().await?, channel, rows).await?, has_more })
}

/// A thread: its root, then up to `limit` replies in order. `seq` may name
/// the root or any reply.
pub async fn replies(
    db: &PgPool,
    actor: &Actor,
    channel: Uuid,
    seq: i64,
    limit: Option<i64>,
) -> AppResult<HistoryPage> {
    access(db, actor, channel).await?;
    let limit = crate::api::page_limit(limit, 1000, 1000);
    let mut conn = db.acquire().await?;
    let root = thread_root(&mut conn, channel, seq).await?;
    drop(conn);
    let mut rows = sqlx::query_as!(
        Row,
        r#"select g.channel_id, g.seq, g.member_id, m.display_name as user_name,
                  m.deactivated_at is not null as "user_deactivated!", g.thread_seq,
                  g.also_in_channel, g.client_msg_id, g.body, g.html, g.mentions, g.mentions_all,
                  g.reply_count, g.last_reply_at, g.edited_at, g.deleted_at, g.created_at, g.file_count
           from message g join member m using (member_id)
           where g.channel_id = $1 and (g.seq = $2 or g.thread_seq = $2)
           order by g.seq limit $3"#,
        channel,
        root,
        limit + 2
    )
    .fetch_all(db)
    .await?;
    let has_more = rows.len() as i64 > limit + 1;
    rows.truncate(limit as usize + 1);
    Ok(HistoryPage { messages: with_reactions(&mut *db.acquire().await?, channel, rows).await?, has_more })
}

/// Every message after `after` (thread replies included), oldest first, for
/// a reconnecting socket. The caller has checked that `actor` may read it.
pub async fn replay(
    db: &PgPool,
    actor: &Actor,
    channel: Uuid,
    after: i64,
    limit: i64,
) -> AppResult<Vec<Message>> {
    access(db, actor, channel).await?;
    let rows = sqlx::query_as!(
        Row,
        r#"select g.channel_id, g.seq, g.member_id, m.display_name as user_name,
                  m.deactivated_at is not null as "user_deactivated!", g.thread_seq,
                  g.also_in_channel, g.client_msg_id, g.body, g.html, g.mentions, g.mentions_all,
                  g.reply_count, g.last_reply_at, g.edited_at, g.deleted_at, g.created_at, g.file_count
           from message g join member m using (member_id)
           where g.channel_id = $1 and g.seq > $2
           order by g.seq limit $3"#,
        channel,
        after,
        limit
    )
    .fetch_all(db)
    .await?;
    with_reactions(&mut *db.acquire().await?, channel, rows).await
}
