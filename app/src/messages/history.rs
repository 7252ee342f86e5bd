//! Reading history: pages of a channel, threads, and the replay a
//! reconnecting socket needs. Every read checks access first.

use sqlx::PgPool;
use uuid::Uuid;

use super::server::{thread_root, with_reactions, Row};
use super::{Message, MAX_HISTORY_PAGE};
use crate::auth::Actor;
use crate::channels::server::access;
use crate::error::AppResult;

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
            r#"select g.channel_id, g.seq, g.member_id, m.display_name as user_name, g.thread_seq,
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
            r#"select g.channel_id, g.seq, g.member_id, m.display_name as user_name, g.thread_seq,
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
        r#"select g.channel_id, g.seq, g.member_id, m.display_name as user_name, g.thread_seq,
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
        r#"select g.channel_id, g.seq, g.member_id, m.display_name as user_name, g.thread_seq,
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
