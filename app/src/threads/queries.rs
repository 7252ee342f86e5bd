//! Reading the Threads view and moving a thread's read marker. Both are
//! bounded: one indexed page of the member's follows (`limit` ≤ 100), and
//! the unread count of each thread stops at 100.

use sqlx::{PgPool, Row};
use uuid::Uuid;

use super::{ThreadItem, MAX_THREADS_PAGE};
use crate::auth::Actor;
use crate::channels::queries::access;
use crate::core::ctx::Ctx;
use crate::error::{AppError, AppResult, Missing};

/// The caller's followed threads that have replies, in conversations they
/// are still in, newest reply first; `before` pages on (the previous page's
/// last `last_reply_at`, as RFC 3339).
pub async fn list(
    db: &PgPool,
    actor: &Actor,
    limit: Option<i64>,
    before: Option<time::OffsetDateTime>,
) -> AppResult<Vec<ThreadItem>> {
    let limit = limit.unwrap_or(50);
    if !(1..=MAX_THREADS_PAGE).contains(&limit) {
        return Err(AppError::InvalidArguments("limit must be between 1 and 100".into()));
    }
    let rows = sqlx::query(
        "select f.channel_id, f.thread_seq, c.kind, c.name,
                case when c.kind in ('dm', 'group_dm') then (
                  select string_agg(m2.display_name, ', ' order by m2.display_name)
                    from channel_member x join member m2 using (member_id)
                   where x.channel_id = c.channel_id and x.member_id <> $1) end as dm_name,
                r.member_id as root_user, m.display_name as root_user_name,
                r.html, r.deleted_at is not null as root_deleted, r.reply_count, r.last_reply_at,
                coalesce((select max(y.seq) from message y
                           where y.channel_id = f.channel_id and y.thread_seq = f.thread_seq), 0) as latest,
                (select count(*) from (select 1 from message z
                   where z.channel_id = f.channel_id and z.thread_seq = f.thread_seq
                     and z.seq > f.last_read_seq and z.member_id <> $1 and z.deleted_at is null
                   limit 100) u) as unread
           from thread_follow f
           join channel_member cm on cm.channel_id = f.channel_id and cm.member_id = f.member_id
           join channel c on c.channel_id = f.channel_id and c.workspace_id = $2
           join message r on r.channel_id = f.channel_id and r.seq = f.thread_seq
           join member m on m.member_id = r.member_id
          where f.member_id = $1 and r.reply_count > 0
            and ($4::timestamptz is null or r.last_reply_at < $4)
          order by r.last_reply_at desc nulls last, f.channel_id, f.thread_seq
          limit $3",
    )
    .bind(actor.member_id)
    .bind(actor.workspace_id)
    .bind(limit)
    .bind(before)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let name: Option<String> = r.get("name");
            let label = match name {
                Some(n) => format!("#{n}"),
                None => r.get::<Option<String>, _>("dm_name").unwrap_or_else(|| "Notes to self".into()),
            };
            let deleted: bool = r.get("root_deleted");
            ThreadItem {
                channel: r.get("channel_id"),
                channel_label: label,
                thread_seq: r.get("thread_seq"),
                root_user: r.get("root_user"),
                root_user_name: r.get("root_user_name"),
                root_html: if deleted { String::new() } else { r.get("html") },
                root_deleted: deleted,
                reply_count: r.get("reply_count"),
                last_reply_at: r.get("last_reply_at"),
                latest_reply_seq: r.get("latest"),
                unread: r.get("unread"),
            }
        })
        .collect())
}

/// Moves the caller's read marker of a followed thread forward to `seq`
/// (never back). A thread the caller does not follow has no marker: nothing
/// changes. A conversation the caller is not in is `channel_not_found`.
pub async fn mark(ctx: &Ctx, actor: &Actor, channel: Uuid, thread_seq: i64, seq: i64) -> AppResult<()> {
    if seq < 0 || thread_seq < 0 {
        return Err(AppError::InvalidArguments("seq and thread_seq must not be negative".into()));
    }
    let mut tx = ctx.begin().await?;
    if !access(&mut *tx, actor, channel).await?.is_member {
        return Err(AppError::NotFound(Missing::Channel));
    }
    sqlx::query(
        "update thread_follow set last_read_seq = $4
          where member_id = $1 and channel_id = $2 and thread_seq = $3 and last_read_seq < $4",
    )
    .bind(actor.member_id)
    .bind(channel)
    .bind(thread_seq)
    .bind(seq)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}
