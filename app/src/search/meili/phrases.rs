//! Quoted phrases on Meilisearch. The index keeps word proximity per
//! attribute (see [`super::settings::settings`]), so Meilisearch treats
//! `"budget plan"` as "both words in the message". This module sends it
//! that way and then keeps only hits where the words are adjacent, in
//! order, as Postgres's `<->` would: word by word, ignoring case and
//! punctuation. Excluded phrases are not sent at all (Meilisearch would drop
//! every message holding both words) and are checked here instead.

use crate::search::query::Query;

/// The text sent to Meilisearch: words, phrases (matched loosely there) and
/// single excluded words.
pub fn meili_text(q: &Query) -> String {
    let clean = |s: &str| s.replace('"', " ");
    let mut parts: Vec<String> = q.words.iter().map(|w| clean(w)).collect();
    parts.extend(q.phrases.iter().map(|p| format!("\"{}\"", clean(p))));
    parts.extend(q.excluded.iter().filter(|e| words(e).len() == 1).map(|e| format!("-{}", clean(e))));
    parts.join(" ")
}

/// Whether `text` holds every phrase of `q` as adjacent words and none of
/// its excluded phrases.
pub fn matches(q: &Query, text: &str) -> bool {
    let has_multi = |list: &[String]| list.iter().any(|p| words(p).len() > 1);
    if !has_multi(&q.phrases) && !has_multi(&q.excluded) {
        return true;
    }
    let text = words(text);
    let holds = |p: &str| {
        let p = words(p);
        p.is_empty() || text.windows(p.len()).any(|w| w == p.as_slice())
    };
    q.phrases.iter().all(|p| holds(p)) && !q.excluded.iter().filter(|e| words(e).len() > 1).any(|e| holds(e))
}

/// Lower-cased words: runs of letters and digits.
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::query::parse;

    #[test]
    fn phrases_need_adjacent_words_in_order() {
        let q = parse("\"budget plan\" review").unwrap();
        assert!(matches(&q, "About the Budget, plan: review"));
        assert!(!matches(&q, "the plan for the budget"));
        assert!(!matches(&q, "budget and plan"));
        assert_eq!(meili_text(&q), "review \"budget plan\"");
    }

    #[test]
    fn excluded_phrases_are_checked_here_not_sent() {
        let q = parse("plan -\"go live\" -draft").unwrap();
        assert_eq!(meili_text(&q), "plan -draft");
        assert!(!matches(&q, "plan to go live"));
        assert!(matches(&q, "plan: live, then go"));
    }

    #[test]
    fn plain_words_are_left_to_meilisearch() {
        let q = parse("deploy").unwrap();
        assert!(matches(&q, "anything at all"));
        assert_eq!(meili_text(&q), "deploy");
    }
}
