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
    /// There are more than [`MATCH_CAP`] matches; `total` is the cap.
    pub total_capped: bool,
    pub matches: Vec<Match>,
}

fn bound(d: Option<Date>) -> Option<OffsetDateTime> {
    d.filter(|d| *d != Date::MIN && *d != Date::MAX).map(|d| d.midnight().assume_utc())
}

fn prefixes(names: &[String]) -> Vec<String> {
    names.iter().map(|n| like_escape(&n.to_lowercase())).collect()
}

/// At most this many matches are considered (newest first) and counted;
/// relevance ranks within them. A very common word in a large workspace
/// then costs about the same as a rare one.
pub const MATCH_CAP: i64 = 2000;

/// A lexeme in more than this share of messages is "common".
const COMMON: f32 = 0.01;

/// How common the query's rarest positive term is: its share of messages
/// in the partition where it is most common, from the statistics ANALYZE
/// keeps (0 when it is not among the most common elements, i.e. rare).
async fn rarest_share(db: &PgPool, q: &Query) -> AppResult<f32> {
    if !q.has_text() {
        return Ok(1.0);
    }
    let positive = [q.words.join(" "), q.phrases.join(" ")].join(" ");
    let share = sqlx::query_scalar!(
        r#"with lex as (select unnest(tsvector_to_array(to_tsvector('english', $1))) as e),
                stats as (select e, max(f) as f from (
                            select unnest(most_common_elems::text::text[]) as e, unnest(most_common_elem_freqs) as f
                            from pg_stats where tablename like 'message\_p%' and attname = 'tsv') x group by e)
           select min(coalesce(s.f, 0)) as share from lex left join stats s using (e)"#,
        positive
    )
    .fetch_one(db)
    .await?;
    Ok(share.unwrap_or(0.0))
}

/// Runs a parsed query for `actor`, within `channels` (from [`scope`]).
///
/// Two plans, chosen by how common the rarest word is: rare words go
/// through the GIN index over all messages (materialized, so the planner
/// cannot turn the few hits into a join over the whole scope) and are then
/// narrowed to the scope; common words (and operator-only queries) walk each channel's
/// messages newest first (`message_created_idx`) and stop at the cap.
#[allow(clippy::too_many_arguments)]
pub async fn search(
    db: &PgPool,
    actor: &Actor,
    channels: &[uuid::Uuid],
    users: Option<&[uuid::Uuid]>,
    q: &Query,
    sort: Sort,
    offset: i64,
    limit: i64,
) -> AppResult<Page> {
    if channels.is_empty() || users.is_some_and(|u| u.is_empty()) {
        return Ok(Page { total: 0, total_capped: false, matches: Vec::new() });
    }
    let text = q.websearch();
    let common = rarest_share(db, q).await? > COMMON;
    let users: Vec<uuid::Uuid> = users.map(<[uuid::Uuid]>::to_vec).unwrap_or_default();
    let headline =
        format!("StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=35, MinWords=12, MaxFragments=2, FragmentDelimiter=\" … \"");
    let rows = sqlx::query!(
        r#"with q as (select websearch_to_tsquery('english', $3) as q),
           rare as materialized (
             select g.channel_id, g.seq, g.thread_seq, g.member_id, g.body, g.created_at, g.tsv, g.deleted_at,
                    g.file_count, g.html, g.reply_count
             from message g cross join q
             where not $15 and numnode(q.q) > 0 and g.tsv @@ q.q
           ),
           cand as (
             select g.channel_id, g.seq, g.thread_seq, g.member_id, g.body, g.created_at, g.tsv
             from rare g
             where g.channel_id = any($1)
               and g.deleted_at is null
               and (cardinality($5::uuid[]) = 0 or g.member_id = any($5))
               and ($6::timestamptz is null or g.created_at >= $6)
               and ($7::timestamptz is null or g.created_at < $7)
               and (not $8 or g.file_count > 0)
               and (not $9 or exists (select 1 from file f join blob b using (blob_id)
                                      where f.channel_id = g.channel_id and f.seq = g.seq and b.mimetype like 'image/%'))
               and (not $10 or g.html like '%<a href=%')
               and (not $11 or exists (select 1 from reaction x where x.channel_id = g.channel_id and x.seq = g.seq))
               and (not $12 or g.thread_seq is not null or g.reply_count > 0)
             union all
             select g.* from unnest($1::uuid[]) s(channel_id) cross join lateral (
               select g.channel_id, g.seq, g.thread_seq, g.member_id, g.body, g.created_at, g.tsv
               from message g cross join q
               where $15 and g.channel_id = s.channel_id
                 -- ts_match_vq is @@ without the index: the GIN index would
                 -- read the whole posting list of a common word per channel.
                 and ($3 = '' or (numnode(q.q) > 0 and ts_match_vq(g.tsv, q.q)))
                 and g.deleted_at is null
                 and (cardinality($5::uuid[]) = 0 or g.member_id = any($5))
                 and ($6::timestamptz is null or g.created_at >= $6)
                 and ($7::timestamptz is null or g.created_at < $7)
                 and (not $8 or g.file_count > 0)
                 and (not $9 or exists (select 1 from file f join blob b using (blob_id)
                                        where f.channel_id = g.channel_id and f.seq = g.seq and b.mimetype like 'image/%'))
                 and (not $10 or g.html like '%<a href=%')
                 and (not $11 or exists (select 1 from reaction x where x.channel_id = g.channel_id and x.seq = g.seq))
                 and (not $12 or g.thread_seq is not null or g.reply_count > 0)
               order by g.created_at desc, g.seq desc
               limit $14
             ) g
           ),
           hits as (select * from cand order by created_at desc, seq desc limit $14),
           page as (
             select h.*, count(*) over () as total,
                    case when $13 or $3 = '' then 0 else ts_rank_cd(h.tsv, q.q) end as rank
             from hits h cross join q
             order by rank desc, h.created_at desc, h.seq desc
             limit $16 offset $17
           )
           select p.channel_id as "channel_id!", p.seq as "seq!", p.thread_seq, p.member_id as "member_id!",
                  m.display_name as user_name, p.body as "body!", p.created_at as "created_at!",
                  coalesce('#' || c.name,
                           (select string_agg(mm.display_name, ', ' order by mm.display_name)
                            from channel_member x join member mm using (member_id)
                            where x.channel_id = c.channel_id and x.member_id <> $2),
                           m.display_name) as "channel_name!",
                  case when $3 = '' then left(p.body, 300) else ts_headline('english', p.body, q.q, $4) end as "snippet!",
                  p.total as "total!"
           from page p
           join channel c on c.channel_id = p.channel_id
           join member m on m.member_id = p.member_id
           cross join q
           order by p.rank desc, p.created_at desc, p.seq desc"#,
        channels,
        actor.member_id,
        text,
        headline,
        &users,
        bound(q.after),
        bound(q.before),
        q.has.contains(&Has::File),
        q.has.contains(&Has::Image),
        q.has.contains(&Has::Link),
        q.has.contains(&Has::Reaction),
        q.is_thread,
        sort == Sort::Timestamp,
        MATCH_CAP + 1,
        common || text.is_empty(),
        limit,
        offset
    )
    .fetch_all(db)
    .await?;
    let counted = rows.first().map_or(0, |r| r.total);
    Ok(Page {
        total: counted.min(MATCH_CAP),
        total_capped: counted > MATCH_CAP,
        matches: rows
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
            .collect(),
    })
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
