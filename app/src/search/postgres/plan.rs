//! Which plan a query gets: how many messages its rarest word is in, an
//! absolute estimate from the element statistics `ANALYZE` keeps for
//! `message.tsv` (`most_common_elem_freqs` of each partition times the
//! partition's rows). A share would not do: "under 1%" of a table that
//! grows by 5M messages a day is soon millions of rows.
//!
//! Reading `pg_stats` costs about 8 ms (it parses every partition's arrays),
//! more than a rare-word search itself, so each server keeps the statistics
//! in memory ([`Stats`], in the app state) and re-reads them every ten
//! minutes; they change only when autovacuum analyzes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::error::AppResult;

/// A lexeme estimated in more than this many messages of a partition is
/// "common" (the whole table has 16 partitions). The rare-word probe reads
/// only the word's matches in the caller's workspace, so this bounds it from
/// above whatever the number of workspaces.
pub const COMMON_ROWS: f32 = 5_000.0;

const REFRESH: Duration = Duration::from_secs(600);

/// Lexeme → its highest estimated number of messages in any partition.
type Freqs = Arc<HashMap<String, f32>>;

/// The cached statistics of one database.
#[derive(Default)]
pub struct Stats(Mutex<Option<(Instant, Freqs)>>);

impl Stats {
    /// Forgets the statistics, so the next search reads them again.
    pub fn forget(&self) {
        *self.0.lock().expect("stats cache") = None;
    }
}

async fn freqs(db: &PgPool, stats: &Stats) -> AppResult<Freqs> {
    if let Some((at, f)) = stats.0.lock().expect("stats cache").as_ref() {
        if at.elapsed() < REFRESH {
            return Ok(f.clone());
        }
    }
    let rows: Vec<(String, f32)> = sqlx::query_as(
        r#"select e, max(f * greatest(c.reltuples, 0))::real from (
             select tablename, unnest(most_common_elems::text::text[]) as e, unnest(most_common_elem_freqs) as f
             from pg_stats where tablename like 'message\_p%' and attname = 'tsv') x
           join pg_class c on c.relname = x.tablename
           where e is not null and f is not null group by e"#,
    )
    .fetch_all(db)
    .await?;
    let f: Freqs = Arc::new(rows.into_iter().collect());
    *stats.0.lock().expect("stats cache") = Some((Instant::now(), f.clone()));
    Ok(f)
}

/// The estimated number of messages (in the largest partition) that
/// contain the rarest of `words` (0 when one of them is not among the most
/// common elements: rare), or `f32::MAX` without words.
pub async fn rarest_rows(db: &PgPool, stats: &Stats, words: &str) -> AppResult<f32> {
    if words.trim().is_empty() {
        return Ok(f32::MAX);
    }
    let lexemes =
        sqlx::query_scalar!(r#"select tsvector_to_array(to_tsvector('english', $1)) as "l!""#, words)
            .fetch_one(db)
            .await?;
    if lexemes.is_empty() {
        return Ok(f32::MAX); // only stop words: nothing can match
    }
    let f = freqs(db, stats).await?;
    Ok(lexemes.iter().map(|l| f.get(l).copied().unwrap_or(0.0)).fold(f32::MAX, f32::min))
}

/// Rows of its newest messages a prefix search reads in each channel:
/// 10,000 in all, at least 100 per channel.
pub fn prefix_budget(channels: usize) -> i64 {
    (10_000 / channels.max(1) as i64).max(100)
}

/// Matches the first walk takes from each channel: a quarter more than an
/// even share of the cap, so that with even activity the cut falls above
/// every channel's last one and one pass is enough.
pub fn first_walk(channels: usize, cap: i64) -> i64 {
    if channels <= 1 {
        return cap;
    }
    (cap * 5 / (4 * channels as i64) + 1).clamp(4, cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_walk_shares_the_cap() {
        assert_eq!(first_walk(1, 1001), 1001);
        assert_eq!(first_walk(3, 1001), 418);
        assert_eq!(first_walk(50, 1001), 26);
        assert_eq!(first_walk(5000, 1001), 4);
        assert!(first_walk(50, 1001) * 50 > 1001, "the first walk can fill the cap");
        assert_eq!(prefix_budget(50), 200);
        assert_eq!(prefix_budget(0), 10_000);
        assert_eq!(prefix_budget(1000), 100);
    }
}
