//! `search.messages`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Match, Sort};
use crate::api::Reply;
use crate::error::AppError;

/// The matches and how many there are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Matches {
    pub total: i64,
    /// `true` when there are more matches than are counted (`total` is then
    /// a lower bound: the newest 1,000 matches are ranked and paged).
    #[serde(default)]
    pub total_capped: bool,
    pub matches: Vec<Match>,
}

/// What `search.messages` returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchReply {
    pub messages: Matches,
    /// Pass as `cursor` for the next page; null on the last one.
    pub next_cursor: Option<String>,
    /// Which backend answered: `postgres` (or `meilisearch`).
    pub backend: String,
    /// When a single word matched nothing on Postgres and a similar word of
    /// the workspace did: that word, whose matches these are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrected: Option<String>,
}

/// Searches the messages the caller can read. `query` uses the search
/// syntax (words, "phrases", -exclusions, from:, in:, before:, after:,
/// on:, during:, has:, is:thread); `sort` is `score` (default) or `timestamp`.
/// With `prefix`, a last word still being typed (no space after it) also
/// matches words it begins (search as you type: full history for the
/// word as typed, the most recent messages for longer words).
#[server(prefix = "/api", endpoint = "search.messages", input = server_fn::codec::Json)]
pub async fn messages(
    query: String,
    sort: Option<Sort>,
    cursor: Option<String>,
    limit: Option<i64>,
    prefix: Option<bool>,
) -> Result<Reply<SearchReply>, AppError> {
    let actor = crate::auth::session::require_actor().await?;
    let st = crate::state::state()?;
    // Searches use their own small pool with a statement timeout.
    let db = st.search_db.clone();
    if query.chars().count() > 1000 {
        return Err(AppError::InvalidArguments("query must be at most 1,000 characters".into()));
    }
    let q = super::query::parse(&query).map_err(|e| {
        AppError::InvalidArguments(format!("{} (at character {})", e.message, e.position + 1))
    })?;
    if q.is_empty() {
        return Err(AppError::InvalidArguments("query is empty".into()));
    }
    let limit = crate::api::page_limit(limit, 20, super::MAX_RESULTS);
    let offset = match cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => crate::api::decode_cursor::<i64>(c)?.clamp(0, 10_000),
        None => 0,
    };
    let sort = sort.unwrap_or_default();
    let prefix = prefix.unwrap_or(false) && q.ends_with_word(&query);
    // The channels (and authors) the query may cover, from Postgres for both backends.
    let (channels, users) = super::postgres::scope(&db, &actor, &q).await?;
    let mut answered = None;
    if let Some(meili) = st.meili.as_ref().filter(|m| m.answers() && super::meili::supports(&q)) {
        let none = channels.is_empty() || users.as_ref().is_some_and(Vec::is_empty);
        let indexed = async {
            if none {
                return Ok((0, Vec::new()));
            }
            let (users, at, n) = (users.as_deref(), offset as usize, limit as usize);
            meili.search(&db, actor.workspace_id, &channels, users, &q, sort, at, n).await
        };
        // The first page also finds, on Postgres and meanwhile, what the
        // index does not hold yet; if that fails the index's page is shown.
        let pending = async {
            if offset > 0 || none {
                return (0, Vec::new());
            }
            let (stats, users) = (&st.search_stats, users.as_deref());
            match super::postgres::search(
                &db, stats, &actor, &channels, users, &q, prefix, sort, 0, limit, true,
            )
            .await
            {
                Ok(p) => (p.total, p.matches),
                Err(e) => {
                    tracing::warn!(error = %e, "searching the messages not indexed yet failed");
                    (0, Vec::new())
                }
            }
        };
        let (found, pending) = futures_util::join!(indexed, pending);
        match found {
            Ok(indexed) => {
                let m = super::pending::merge(offset, indexed, pending, sort, limit as usize);
                answered = Some((m.total, false, m.matches, "meilisearch", m.next))
            }
            Err(e) => tracing::warn!(error = %e, "meilisearch failed; answering from postgres"),
        }
    }
    let mut corrected = None;
    let (total, total_capped, matches, backend, next) = match answered {
        Some(a) => a,
        None => {
            let run = |q: super::query::Query| {
                let (db, st, actor, channels, users) = (&db, &st, &actor, &channels, &users);
                async move {
                    super::postgres::search(
                        db,
                        &st.search_stats,
                        actor,
                        channels,
                        users.as_deref(),
                        &q,
                        prefix,
                        sort,
                        offset,
                        limit,
                        false,
                    )
                    .await
                }
            };
            let mut page = run(q.clone()).await?;
            if page.total == 0 {
                for word in super::postgres::typo::candidates(&db, actor.workspace_id, &q).await? {
                    let mut fixed = q.clone();
                    fixed.words = vec![word.clone()];
                    let p = run(fixed).await?;
                    if p.total > 0 {
                        (page, corrected) = (p, Some(word));
                        break;
                    }
                }
            }
            if page.total == 0 {
                if let Some(words) =
                    super::postgres::typo::corrected_words(&db, actor.workspace_id, &q).await?
                {
                    let mut fixed = q.clone();
                    fixed.words = words.clone();
                    let p = run(fixed).await?;
                    if p.total > 0 {
                        (page, corrected) = (p, Some(words.join(" ")));
                    }
                }
            }
            let next = offset + page.matches.len() as i64;
            (page.total, page.total_capped, page.matches, "postgres", (next < page.total).then_some(next))
        }
    };
    let next_cursor = next.filter(|n| *n < 10_000).map(|n| crate::api::encode_cursor(&n));
    Ok(Reply::new(SearchReply {
        messages: Matches { total, total_capped, matches },
        next_cursor,
        backend: backend.into(),
        corrected,
    }))
}
