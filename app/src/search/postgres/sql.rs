//! The text of the search statement, expanded once from `search.sql`.
//!
//! The statement repeats the same filters in four places (the rare hits, the
//! two walks, and their thread-only variants, which must spell out the
//! partial index's predicate for the planner to use it). Writing them once
//! here keeps the copies identical; the statement text never changes at run
//! time, so Postgres prepares it once per connection.

use std::sync::LazyLock;

/// The columns every branch yields, in this order.
const COLS: &str = "g.channel_id, g.seq, g.thread_seq, g.member_id, g.body, g.created_at, g.tsv";

/// The operators as SQL conditions on `g`.
const FILTERS: &str = "g.deleted_at is null
  and (cardinality($5::uuid[]) = 0 or g.member_id = any($5))
  and ($6::timestamptz is null or g.created_at >= $6)
  and ($7::timestamptz is null or g.created_at < $7)
  and (not $8 or g.file_count > 0)
  and (not $9 or exists (select 1 from file f join blob b using (blob_id)
                         where f.channel_id = g.channel_id and f.seq = g.seq and b.mimetype like 'image/%'))
  and (not $10 or g.html like '%<a href=%')
  and (not $11 or exists (select 1 from reaction x where x.channel_id = g.channel_id and x.seq = g.seq))
  and (not $12 or g.thread_seq is not null or g.reply_count > 0)";

/// The text condition (everything matches an operator-only query).
const MATCH: &str = "(not $21 or (numnode(q.q) > 0 and ts_match_vq(g.tsv, q.q)))";

/// Date operators as index conditions, so a walk starts at `before:` and
/// stops at `after:` instead of filtering every newer or older row.
const DATES: &str =
    " and g.created_at < coalesce($7, 'infinity') and g.created_at >= coalesce($6, '-infinity')";

/// Thread messages: the predicate of `message_in_thread_idx`.
const THREADS: &str = " and (g.thread_seq is not null or g.reply_count > 0)";

/// One channel's matches newest first, at most `limit`: `bound` limits the
/// rows read (an index condition, so the walk stops there), `after` drops
/// rows already seen.
fn walk(channel: &str, bound: &str, after: &str, limit: &str) -> String {
    let branch = |gate: &str, threads: &str| {
        format!(
            "(select {COLS} from message g cross join q
              where g.channel_id = {channel}{threads}{bound}{DATES} and {gate} and {MATCH}{after} and {FILTERS}
              order by g.created_at desc, g.seq desc limit {limit})"
        )
    };
    format!("{} union all {}", branch("not $12", ""), branch("$12", THREADS))
}

/// The expanded statement.
pub static SEARCH: LazyLock<String> = LazyLock::new(|| {
    include_str!("search.sql")
        .replace("{walk_first}", &walk("s.channel_id", " and g.created_at >= s.floor", "", "$22"))
        .replace(
            "{walk_more}",
            &walk(
                "p.channel_id",
                " and g.created_at <= p.low_at and g.created_at >= cut.at",
                " and (g.created_at, g.seq) < (p.low_at, p.low_seq)",
                "$14",
            ),
        )
        .replace("{cols}", COLS)
        .replace("{filters}", FILTERS)
        .replace("{match}", MATCH)
});

#[cfg(test)]
mod tests {
    #[test]
    fn every_marker_is_expanded() {
        let sql = super::SEARCH.as_str();
        assert!(!sql.contains('{') && !sql.contains('}'), "{sql}");
        assert_eq!(sql.matches("message_in_thread_idx").count(), 1, "only the comment names the index");
        assert_eq!(sql.matches("and (g.thread_seq is not null or g.reply_count > 0)").count(), 2);
    }
}
