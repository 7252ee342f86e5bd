//! The Postgres search backend: `websearch_to_tsquery` over the generated
//! `message.tsv` column (GIN-indexed), the operators as SQL filters, and
//! the caller's readable channels (their own, plus public ones unless they
//! are a guest) as the scope, so nothing else shows up, not even in counts.

use sqlx::PgPool;
use time::{Date, OffsetDateTime};

use super::query::{Has, Query};
use super::{snippet_html, Match, Sort, MARK_END, MARK_START};
use crate::auth::{Actor, Role};
use crate::db::like_escape;
use crate::error::AppResult;

/// A page of results and how many there are in all.
#[derive(Debug)]
pub struct Page {
    pub total: i64,
    pub matches: Vec<Match>,
}

fn bound(d: Option<Date>) -> Option<OffsetDateTime> {
    d.filter(|d| *d != Date::MIN && *d != Date::MAX).map(|d| d.midnight().assume_utc())
}

fn prefixes(names: &[String]) -> Vec<String> {
    names.iter().map(|n| like_escape(&n.to_lowercase())).collect()
}

/// Runs a parsed query for `actor`.
pub async fn search(
    db: &PgPool,
    actor: &Actor,
    q: &Query,
    sort: Sort,
    offset: i64,
    limit: i64,
) -> AppResult<Page> {
    let text = q.websearch();
    let headline =
        format!("StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=35, MinWords=12, MaxFragments=2, FragmentDelimiter=\" … \"");
    let rows = sqlx::query!(
        r#"with q as (select websearch_to_tsquery('english', $3) as q)
           select g.channel_id, g.seq, g.thread_seq, g.member_id, m.display_name as user_name, g.body, g.created_at,
                  coalesce('#' || c.name,
                           (select string_agg(mm.display_name, ', ' order by mm.display_name)
                            from channel_member x join member mm using (member_id)
                            where x.channel_id = c.channel_id and x.member_id <> $2),
                           m.display_name) as "channel_name!",
                  case when $3 = '' then left(g.body, 300) else ts_headline('english', g.body, q.q, $4) end as "snippet!",
                  count(*) over () as "total!"
           from message g
           join channel c on c.channel_id = g.channel_id
           join member m on m.member_id = g.member_id
           cross join q
           where c.workspace_id = $1
             and g.deleted_at is null
             and (exists (select 1 from channel_member cm where cm.channel_id = c.channel_id and cm.member_id = $2)
                  or (c.kind = 'public' and $5))
             and ($3 = '' or (numnode(q.q) > 0 and g.tsv @@ q.q))
             and (cardinality($6::text[]) = 0
                  or exists (select 1 from unnest($6::text[]) f where lower(m.display_name) like f || '%'))
             and (cardinality($7::text[]) = 0 or c.name = any($7))
             and (cardinality($8::text[]) = 0
                  or (c.kind = 'dm' and exists (
                        select 1 from channel_member x join member mm using (member_id), unnest($8::text[]) f
                        where x.channel_id = c.channel_id and x.member_id <> $2
                          and lower(mm.display_name) like f || '%')))
             and ($9::timestamptz is null or g.created_at >= $9)
             and ($10::timestamptz is null or g.created_at < $10)
             and (not $11 or g.file_count > 0)
             and (not $12 or exists (select 1 from file f join blob b using (blob_id)
                                     where f.channel_id = g.channel_id and f.seq = g.seq and b.mimetype like 'image/%'))
             and (not $13 or g.html like '%<a href=%')
             and (not $14 or exists (select 1 from reaction r where r.channel_id = g.channel_id and r.seq = g.seq))
             and (not $15 or g.thread_seq is not null or g.reply_count > 0)
           order by case when $16 or $3 = '' then 0 else ts_rank_cd(g.tsv, q.q) end desc,
                    g.created_at desc, g.seq desc
           limit $17 offset $18"#,
        actor.workspace_id,
        actor.member_id,
        text,
        headline,
        actor.role != Role::Guest,
        &prefixes(&q.from),
        &q.in_channels,
        &prefixes(&q.in_dms),
        bound(q.after),
        bound(q.before),
        q.has.contains(&Has::File),
        q.has.contains(&Has::Image),
        q.has.contains(&Has::Link),
        q.has.contains(&Has::Reaction),
        q.is_thread,
        sort == Sort::Timestamp,
        limit,
        offset
    )
    .fetch_all(db)
    .await?;
    let total = rows.first().map_or(0, |r| r.total);
    let matches = rows
        .into_iter()
        .map(|r| Match {
            channel: r.channel_id,
            channel_name: r.channel_name,
            seq: r.seq,
            thread_seq: r.thread_seq,
            user: r.member_id,
            user_name: r.user_name,
            snippet_html: snippet_html(&r.snippet),
            text: r.body,
            created_at: r.created_at,
        })
        .collect();
    Ok(Page { total, matches })
}

/// What a query may cover for `actor`: the readable channels (narrowed by
/// `in:`), and with `from:`, the matching authors. Used to scope the
/// Meilisearch backend by ids.
pub async fn scope(
    db: &PgPool,
    actor: &Actor,
    q: &Query,
) -> AppResult<(Vec<uuid::Uuid>, Option<Vec<uuid::Uuid>>)> {
    let channels = sqlx::query_scalar!(
        r#"select c.channel_id from channel c
           where c.workspace_id = $1
             and (exists (select 1 from channel_member cm where cm.channel_id = c.channel_id and cm.member_id = $2)
                  or (c.kind = 'public' and $3))
             and (cardinality($4::text[]) = 0 or c.name = any($4))
             and (cardinality($5::text[]) = 0
                  or (c.kind = 'dm' and exists (
                        select 1 from channel_member x join member mm using (member_id), unnest($5::text[]) f
                        where x.channel_id = c.channel_id and x.member_id <> $2
                          and lower(mm.display_name) like f || '%')))"#,
        actor.workspace_id,
        actor.member_id,
        actor.role != Role::Guest,
        &q.in_channels,
        &prefixes(&q.in_dms)
    )
    .fetch_all(db)
    .await?;
    let users = if q.from.is_empty() {
        None
    } else {
        Some(
            sqlx::query_scalar!(
                "select member_id from member m where m.workspace_id = $1
                 and exists (select 1 from unnest($2::text[]) f where lower(m.display_name) like f || '%')",
                actor.workspace_id,
                &prefixes(&q.from)
            )
            .fetch_all(db)
            .await?,
        )
    };
    Ok((channels, users))
}
