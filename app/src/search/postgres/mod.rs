//! The Postgres search backend: `websearch_to_tsquery` over the generated
//! `message.tsv` column (GIN-indexed), the operators as SQL filters, and
//! the caller's readable channels (their own, plus public ones unless they
//! are a guest) as the scope, so nothing else shows up, not even in counts.
//!
//! The statement is in `search.sql` ([`sql`] expands it); [`plan`] picks
//! which of its plans run.

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

pub mod plan;
mod sql;
pub mod terms;
pub mod typo;

/// At most this many matches are considered (newest first) and counted;
/// relevance ranks within them. A very common word in a large workspace
/// then costs about the same as a rare one: reading the newest 1,000
/// matches of a word in a tenth of the messages reads about 10,000 rows.
pub const MATCH_CAP: i64 = 1000;

/// The last word as a prefix (`releas:*`), for search as you type: only
/// letters and digits, at least two of them.
pub fn prefix_tsquery(word: &str) -> Option<String> {
    let clean: String = word.chars().filter(|c| c.is_alphanumeric()).collect::<String>().to_lowercase();
    (clean.chars().count() >= 2).then(|| format!("{clean}:*"))
}

#[derive(sqlx::FromRow)]
struct Row {
    channel_id: uuid::Uuid,
    seq: i64,
    thread_seq: Option<i64>,
    member_id: uuid::Uuid,
    user_name: String,
    body: String,
    created_at: OffsetDateTime,
    channel_name: String,
    snippet: String,
    total: i64,
}

/// Runs a parsed query for `actor`, within `channels` (from [`scope`]).
/// With `prefix`, the last word of the query (`q.words`' last) also matches
/// as a prefix, for search as you type (see [`plan::prefix_budget`]).
///
/// Plans, chosen by how common the rarest word is ([`plan::rarest_rows`]):
/// - rare words: the hits in the caller's channels through the
///   `(workspace_id, tsv)` GIN index (never other workspaces' rows);
/// - common words and operator-only queries: each channel newest first, a
///   share of the cap each, then further only in the channels that may
///   still hold one of the newest matches (see `search.sql`);
/// - a prefix: both, the walk reading a bounded number of recent messages;
/// - `pending` (for the Meilisearch backend, [`crate::search::pending`]):
///   neither, only the messages waiting in the search outbox.
#[allow(clippy::too_many_arguments)]
pub async fn search(
    db: &PgPool,
    stats: &plan::Stats,
    actor: &Actor,
    channels: &[uuid::Uuid],
    users: Option<&[uuid::Uuid]>,
    q: &Query,
    prefix: bool,
    sort: Sort,
    offset: i64,
    limit: i64,
    pending: bool,
) -> AppResult<Page> {
    if channels.is_empty() || users.is_some_and(|u| u.is_empty()) {
        return Ok(Page { total: 0, total_capped: false, matches: Vec::new() });
    }
    // With `prefix`, the last word is split off: matched as typed (rare
    // plan) and as a prefix (walk); one letter is too short and is dropped.
    let mut base = q.clone();
    let last = if prefix { base.words.pop() } else { None };
    let prefix = last.as_deref().and_then(prefix_tsquery);
    let q = if prefix.is_some() || last.is_none() { q } else { &base };
    if q.is_empty() {
        return Ok(Page { total: 0, total_capped: false, matches: Vec::new() });
    }
    let text = q.websearch();
    let without_last = if prefix.is_some() { base.websearch() } else { text.clone() };
    let positive = [q.words.join(" "), q.phrases.join(" ")].join(" ");
    let rows = if pending { f32::INFINITY } else { plan::rarest_rows(db, stats, &positive).await? };
    let rare = !pending && q.has_text() && rows <= plan::COMMON_ROWS;
    let walk = !pending && (prefix.is_some() || !rare);
    let budget = prefix.as_ref().map(|_| plan::prefix_budget(channels.len()));
    let users: Vec<uuid::Uuid> = users.map(<[uuid::Uuid]>::to_vec).unwrap_or_default();
    let headline =
        format!("StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=35, MinWords=12, MaxFragments=2, FragmentDelimiter=\" … \"");
    // One generic plan per connection: planning this statement for its
    // parameters costs more (about 10 ms) than running it, and the plans'
    // branches are switched by one-time filters on the parameters anyway.
    let mut tx = db.begin().await?;
    sqlx::query("set local plan_cache_mode = force_generic_plan").execute(&mut *tx).await?;
    let rows: Vec<Row> = sqlx::query_as(sql::SEARCH.as_str())
        .bind(channels)
        .bind(actor.member_id)
        .bind(&text)
        .bind(headline)
        .bind(&users)
        .bind(bound(q.after))
        .bind(bound(q.before))
        .bind(q.has.contains(&Has::File))
        .bind(q.has.contains(&Has::Image))
        .bind(q.has.contains(&Has::Link))
        .bind(q.has.contains(&Has::Reaction))
        .bind(q.is_thread)
        .bind(sort == Sort::Timestamp)
        .bind(MATCH_CAP + 1)
        .bind(rare)
        .bind(walk)
        .bind(limit)
        .bind(offset)
        .bind(prefix.as_deref().unwrap_or(""))
        .bind(&without_last)
        .bind(!text.is_empty() || prefix.is_some())
        .bind(plan::first_walk(channels.len(), MATCH_CAP + 1))
        .bind(budget)
        .bind(actor.workspace_id)
        .bind(pending)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
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
        // Two index lookups (memberships; public channels by kind), not a
        // scan of the workspace's channels (8 ms with 50k of them).
        r#"with readable as (
             select cm.channel_id from channel_member cm where cm.member_id = $2
             union
             select c.channel_id from channel c where $3 and c.workspace_id = $1 and c.kind = 'public'
           )
           select c.channel_id as "channel_id!" from readable r join channel c using (channel_id)
           where c.workspace_id = $1
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
