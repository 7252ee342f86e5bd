//! Typo tolerance on Postgres: a single word that matches nothing is
//! compared (pg_trgm similarity) with the words of the caller's workspace
//! (`search_term`, folded from sent messages by [`super::terms`]), and the closest ones
//! are tried instead, so `deplyoment` still finds "deployment". A query of
//! several words that matches nothing has each unknown word replaced by its
//! closest known one (`deplyoment reviw` → "deployment review"), tried once.
//!
//! Only the caller's workspace's words are candidates, and a candidate is
//! shown only through matches the caller can read, so nothing about other
//! workspaces or unreadable channels leaks.

use sqlx::PgPool;
use uuid::Uuid;

use crate::error::AppResult;
use crate::search::query::Query;

/// Candidates tried at most, most similar first.
pub const MAX_CANDIDATES: i64 = 3;

/// The word a query could be corrected from: one plain word of 4 to 32
/// letters or digits, nothing else but operators.
pub fn correctable(q: &Query) -> Option<String> {
    let [word] = q.words.as_slice() else { return None };
    let w = word.to_lowercase();
    (q.phrases.is_empty() && shaped(&w)).then_some(w)
}

/// Words of `workspace` other than the query's one word and similar to it,
/// most similar first (see [`similar`]).
pub async fn candidates(db: &PgPool, workspace: Uuid, q: &Query) -> AppResult<Vec<String>> {
    let Some(word) = correctable(q) else { return Ok(Vec::new()) };
    let found = similar(db, workspace, std::slice::from_ref(&word), MAX_CANDIDATES + 1).await?;
    Ok(found.into_iter().map(|(_, t)| t).filter(|t| *t != word).take(MAX_CANDIDATES as usize).collect())
}

/// For each of `words`, up to `per_word` words of `workspace` similar to it
/// (similarity at least pg_trgm's default 0.3, and at most two letters longer
/// or shorter: a typo, not a prefix of a longer word), as (word, similar),
/// in the order of `words`, most similar first. A known word is its own
/// closest. One statement, one trigram probe per word.
async fn similar(
    db: &PgPool,
    workspace: Uuid,
    words: &[String],
    per_word: i64,
) -> AppResult<Vec<(String, String)>> {
    // Words sent a moment ago may still be queued: fold this workspace's.
    super::terms::collect_workspace(db, workspace).await?;
    Ok(sqlx::query_as(
        "select u.w, t.term from unnest($2::text[]) with ordinality as u(w, i)
           cross join lateral (
             select term, similarity(term, u.w) as sim from search_term
              where workspace_id = $1 and term % u.w and abs(char_length(term) - char_length(u.w)) <= 2
              order by sim desc, term limit $3) t
          order by u.i, t.sim desc, t.term",
    )
    .bind(workspace)
    .bind(words)
    .bind(per_word)
    .fetch_all(db)
    .await?)
}

/// Most words of one query that are corrected together.
pub const MAX_WORDS: usize = 6;

/// Whether `word` has the shape of a word worth correcting.
fn shaped(word: &str) -> bool {
    (4..=32).contains(&word.chars().count()) && word.chars().all(char::is_alphanumeric)
}

/// For a query of 2 to [`MAX_WORDS`] plain words (no phrase), its words with
/// each unknown one replaced by the most similar word of `workspace` (a
/// known word stays, being its own closest); `None` when no word changed.
pub async fn corrected_words(db: &PgPool, workspace: Uuid, q: &Query) -> AppResult<Option<Vec<String>>> {
    if !(2..=MAX_WORDS).contains(&q.words.len()) || !q.phrases.is_empty() {
        return Ok(None);
    }
    let lower: Vec<String> = q.words.iter().map(|w| w.to_lowercase()).collect();
    let asked: Vec<String> = lower.iter().filter(|w| shaped(w)).cloned().collect();
    if asked.is_empty() {
        return Ok(None);
    }
    let best = similar(db, workspace, &asked, 1).await?;
    let fixed: Vec<String> = lower
        .iter()
        .map(|w| best.iter().find(|(a, _)| a == w).map_or_else(|| w.clone(), |(_, b)| b.clone()))
        .collect();
    Ok((fixed != lower).then_some(fixed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::query::parse;

    #[test]
    fn only_one_plain_word_is_corrected() {
        assert_eq!(correctable(&parse("Deplyoment").unwrap()).as_deref(), Some("deplyoment"));
        assert_eq!(correctable(&parse("deplyoment in:general").unwrap()).as_deref(), Some("deplyoment"));
        assert_eq!(correctable(&parse("two words").unwrap()), None);
        assert_eq!(correctable(&parse("\"a phrase\"").unwrap()), None);
        assert_eq!(correctable(&parse("abc").unwrap()), None, "too short");
    }
}
