//! Message search: one query language ([`query`]), restricted to the
//! channels the caller can read right now, with highlighted snippets.
//!
//! The Postgres backend ([`postgres`]) is the default and needs nothing
//! extra: a generated `tsvector` column with a GIN index,
//! `websearch_to_tsquery` for the text, and the operators as SQL filters.
//! With `MEILI_URL` set, [`meili`] answers instead (typo-tolerant), fed by
//! a transactional outbox; when it is down or behind, Postgres answers and
//! the reply says `"backend": "postgres"`. What Meilisearch has not indexed
//! yet is found on Postgres meanwhile ([`pending`]).

pub mod api;
#[cfg(feature = "ssr")]
pub mod meili;
#[cfg(feature = "ssr")]
pub mod pending;
#[cfg(feature = "ssr")]
pub mod postgres;
pub mod query;
pub mod ui;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// Largest page of results.
pub const MAX_RESULTS: i64 = 100;

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Best match first (newest first among equals).
    #[default]
    Score,
    /// Newest first.
    Timestamp,
}

/// One matching message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    pub channel: Uuid,
    /// `#name`, or the other people's names for a DM.
    pub channel_name: String,
    pub seq: i64,
    pub thread_seq: Option<i64>,
    pub user: Uuid,
    pub user_name: String,
    pub text: String,
    /// The text around the matches, HTML-escaped, matches in `<mark>`.
    pub snippet_html: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Marks ts_headline puts around matches: private-use characters, replaced
/// by `<mark>` only after the text has been escaped.
pub const MARK_START: char = '\u{E000}';
pub const MARK_END: char = '\u{E001}';

/// Escapes a snippet and turns the match markers into `<mark>` tags, so
/// that nothing a user wrote can become markup.
#[cfg(feature = "ssr")]
pub fn snippet_html(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 16);
    let mut open = false;
    let mut rest = raw;
    while let Some(i) = rest.find([MARK_START, MARK_END]) {
        out.push_str(&crate::messages::markdown::escape(&rest[..i]));
        let start = rest[i..].starts_with(MARK_START);
        if start != open {
            out.push_str(if start { "<mark>" } else { "</mark>" });
            open = start;
        }
        rest = &rest[i + MARK_START.len_utf8()..];
    }
    out.push_str(&crate::messages::markdown::escape(rest));
    if open {
        out.push_str("</mark>");
    }
    out
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn snippets_escape_everything_but_the_marks() {
        let raw = format!("<script>alert(1)</script> {MARK_START}launch{MARK_END} & \"go\"");
        assert_eq!(
            snippet_html(&raw),
            "&lt;script&gt;alert(1)&lt;/script&gt; <mark>launch</mark> &amp; &quot;go&quot;"
        );
        assert_eq!(snippet_html(&format!("{MARK_START}x")), "<mark>x</mark>", "always balanced");
        assert_eq!(snippet_html(&format!("{MARK_END}{MARK_END}x")), "x");
    }
}
