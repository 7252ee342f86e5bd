//! What Meilisearch has not indexed yet, found anyway.
//!
//! Meilisearch indexes in batches, and on a large index a batch can take
//! seconds: a message that was just sent would not be found until then. The
//! search outbox holds exactly the messages whose latest state Meilisearch
//! has not confirmed (the indexer deletes a row only once Meilisearch's task
//! succeeded), so the first page of a Meilisearch answer also searches those
//! messages on Postgres ([`super::postgres::search`] with `pending`) and
//! [`merge`]s them in: a message can be found as soon as it is committed,
//! whatever Meilisearch's lag. Their current text is what matches, so an
//! edit is found by its new words at once (the indexed old version is
//! dropped by the check against Postgres, and replaced here).
//!
//! The cost is bounded by the outbox: beyond [`super::meili::BEHIND_ROWS`]
//! queued changes the index counts as behind and Postgres answers the whole
//! query instead. Later pages come from the index alone (their cursor is an
//! offset into it), so a pending message shows on the first page only.

use super::{Match, Sort};

/// A page merged from the index's answer and the pending messages.
#[derive(Debug, PartialEq)]
pub struct Merged {
    pub total: i64,
    pub matches: Vec<Match>,
    /// The index offset of the next page, if the index has more.
    pub next: Option<i64>,
}

/// Merges the index's page (`indexed`: its total and hits, from `offset`)
/// with the pending matches (current versions, newest first): a message in
/// both counts once, as pending. Sorted by date, the two are interleaved;
/// by relevance, pending matches come first (they are the newest, and what
/// someone searching for a message just sent is after). At most `limit`.
pub fn merge(
    offset: i64,
    indexed: (i64, Vec<Match>),
    pending: (i64, Vec<Match>),
    sort: Sort,
    limit: usize,
) -> Merged {
    let (indexed_total, hits) = indexed;
    let (pending_total, fresh) = pending;
    let key = |m: &Match| (m.channel, m.seq);
    let fresh_keys: std::collections::HashSet<_> = fresh.iter().map(key).collect();
    let page_len = hits.len();
    // Where the index's hits that are not pending sit in its page: the next
    // page starts at the first of them not shown.
    let open: Vec<usize> = (0..page_len).filter(|&i| !fresh_keys.contains(&key(&hits[i]))).collect();
    let dup = page_len - open.len();
    let hits = hits.into_iter().filter(|m| !fresh_keys.contains(&key(m)));
    let mut indexed_shown = 0;
    let mut matches = Vec::with_capacity(limit);
    let (mut a, mut b) = (fresh.into_iter().peekable(), hits.into_iter().peekable());
    while matches.len() < limit {
        let take_fresh = match (a.peek(), b.peek()) {
            (Some(f), Some(h)) => sort == Sort::Score || (f.created_at, f.seq) >= (h.created_at, h.seq),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        if take_fresh {
            matches.extend(a.next());
        } else {
            matches.extend(b.next());
            indexed_shown += 1;
        }
    }
    let next = offset + open.get(indexed_shown).copied().unwrap_or(page_len) as i64;
    Merged {
        total: (indexed_total - dup as i64).max(0) + pending_total,
        matches,
        next: (next < indexed_total).then_some(next),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;
    use uuid::Uuid;

    fn m(channel: Uuid, seq: i64, text: &str) -> Match {
        Match {
            channel,
            channel_name: "#general".into(),
            seq,
            thread_seq: None,
            user: Uuid::nil(),
            user_name: "Ann".into(),
            text: text.into(),
            snippet_html: text.into(),
            created_at: OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(seq),
        }
    }

    fn seqs(v: &[Match]) -> Vec<i64> {
        v.iter().map(|m| m.seq).collect()
    }

    #[test]
    fn pending_versions_replace_indexed_ones_and_count_once() {
        let c = Uuid::from_u128(1);
        let indexed = (3, vec![m(c, 5, "old"), m(c, 3, "x"), m(c, 1, "y")]);
        let pending = (2, vec![m(c, 9, "new"), m(c, 5, "edited")]);
        let r = merge(0, indexed, pending, Sort::Score, 10);
        assert_eq!(seqs(&r.matches), vec![9, 5, 3, 1], "pending first by relevance, seq 5 once");
        assert_eq!(r.matches[1].text, "edited", "the pending (current) version wins");
        assert_eq!(r.total, 4);
        assert_eq!(r.next, None, "the index has nothing more");
    }

    #[test]
    fn by_date_they_interleave_and_the_cursor_skips_only_what_was_shown() {
        let (c, d) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let indexed = (10, vec![m(c, 8, "a"), m(c, 6, "b"), m(c, 4, "c")]);
        let pending = (2, vec![m(d, 7, "p"), m(d, 5, "q")]);
        let r = merge(0, indexed, pending, Sort::Timestamp, 3);
        assert_eq!(seqs(&r.matches), vec![8, 7, 6]);
        assert_eq!(r.total, 12);
        // Two indexed hits were shown, so the next page starts at the third.
        assert_eq!(r.next, Some(2));
        let r = merge(20, (30, vec![m(c, 1, "z")]), (0, vec![]), Sort::Score, 5);
        assert_eq!((seqs(&r.matches), r.next), (vec![1], Some(21)));
        // A pending message further down the index's page: the next page
        // starts at the first indexed hit not shown, not after the pending one.
        let r = merge(
            0,
            (9, vec![m(c, 4, "a"), m(c, 3, "b"), m(d, 7, "old")]),
            (1, vec![m(d, 7, "p")]),
            Sort::Score,
            2,
        );
        assert_eq!((seqs(&r.matches), r.next), (vec![7, 4], Some(1)));
    }

    #[test]
    fn pending_matches_fill_the_page_first_by_relevance() {
        let c = Uuid::from_u128(1);
        let pending = (3, vec![m(c, 30, "p"), m(c, 29, "q"), m(c, 28, "r")]);
        let r = merge(0, (5, vec![m(c, 2, "a"), m(c, 1, "b")]), pending, Sort::Score, 2);
        assert_eq!(seqs(&r.matches), vec![30, 29]);
        assert_eq!((r.total, r.next), (8, Some(0)), "the index's first page is still to come");
    }
}
