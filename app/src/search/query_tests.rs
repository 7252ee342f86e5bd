use proptest::prelude::*;
use time::macros::date;

use super::*;

#[test]
fn words_phrases_and_exclusions() {
    let q = parse(r#"launch "go live" -draft -"old plan" plan"#).unwrap();
    assert_eq!(q.words, ["launch", "plan"]);
    assert_eq!(q.phrases, ["go live"]);
    assert_eq!(q.excluded, ["draft", "old plan"]);
    assert_eq!(q.websearch(), r#"launch plan "go live" -draft -"old plan""#);
    assert!(q.has_text());
}

#[test]
fn each_operator_alone() {
    assert_eq!(parse("from:@ada").unwrap().from, ["ada"]);
    assert_eq!(parse("from:ada").unwrap().from, ["ada"]);
    assert_eq!(parse("in:#Eng").unwrap().in_channels, ["eng"]);
    assert_eq!(parse("in:@bob").unwrap().in_dms, ["bob"]);
    let b = parse("before:2026-01-31").unwrap();
    assert_eq!((b.after, b.before), (Some(Date::MIN), Some(date!(2026 - 01 - 31))));
    let a = parse("after:2026-01-31").unwrap();
    assert_eq!((a.after, a.before), (Some(date!(2026 - 02 - 01)), Some(Date::MAX)));
    let on = parse("on:2026-02-28").unwrap();
    assert_eq!((on.after, on.before), (Some(date!(2026 - 02 - 28)), Some(date!(2026 - 03 - 01))));
    let m = parse("during:2025-12").unwrap();
    assert_eq!((m.after, m.before), (Some(date!(2025 - 12 - 01)), Some(date!(2026 - 01 - 01))));
    let y = parse("during:2025").unwrap();
    assert_eq!((y.after, y.before), (Some(date!(2025 - 01 - 01)), Some(date!(2026 - 01 - 01))));
    assert_eq!(
        parse("has:file has:image has:link has:reaction has:file").unwrap().has,
        [Has::File, Has::Image, Has::Link, Has::Reaction]
    );
    assert!(parse("is:thread").unwrap().is_thread);
    assert!(!parse("from:@ada").unwrap().has_text(), "operators alone are not text");
}

#[test]
fn operators_combine_and_dates_intersect() {
    let q = parse(
        "budget FROM:@ada in:#finance during:2026 after:2026-03-01 before:2026-06-01 has:file is:thread",
    )
    .unwrap();
    assert_eq!(q.words, ["budget"]);
    assert_eq!(q.from, ["ada"]);
    assert_eq!(q.in_channels, ["finance"]);
    assert_eq!(q.after, Some(date!(2026 - 03 - 02)));
    assert_eq!(q.before, Some(date!(2026 - 06 - 01)));
    assert_eq!(q.has, [Has::File]);
    assert!(q.is_thread);
}

#[test]
fn malformed_operators_are_reported_with_their_position() {
    let e = parse("report before:2026-13-01").unwrap_err();
    assert_eq!(e.position, 7);
    assert!(e.message.contains("before:2026-13-01") && e.message.contains("YYYY-MM-DD"), "{}", e.message);
    let e = parse("été on:yesterday").unwrap_err();
    assert_eq!(e.position, 4, "positions count characters, not bytes");
    assert!(parse("during:2026-1").is_err());
    assert!(parse("has:pdf").unwrap_err().message.contains("has:file"));
    assert!(parse("is:starred").is_err());
    assert_eq!(parse("x from:").unwrap_err().position, 2);
    assert!(parse("-from:@ada").is_err());
    let e = parse(r#"a "unclosed"#).unwrap_err();
    assert_eq!(e.position, 2);
}

#[test]
fn things_that_look_like_operators_but_are_not_are_words() {
    let q = parse("http://example.com/a re: ticket:42 - --").unwrap();
    assert_eq!(q.words, ["http://example.com/a", "re:", "ticket:42"]);
    assert!(parse("").unwrap().is_empty());
    assert!(parse("   \"\"  ").unwrap().is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any input parses or is refused with a position inside it; never a panic.
    #[test]
    fn never_panics(input in "\\PC{0,80}") {
        match parse(&input) {
            Ok(q) => { let _ = q.websearch(); }
            Err(e) => prop_assert!(e.position <= input.chars().count()),
        }
    }

    /// Queries built from the grammar parse back to what they were built from.
    #[test]
    fn grammar_round_trips(
        words in proptest::collection::vec("[a-z]{1,8}", 0..4),
        from in proptest::option::of("[a-z]{1,8}"),
        chan in proptest::option::of("[a-z0-9_-]{1,12}"),
        y in 2000i32..2100, m in 1u8..=12, d in 1u8..=28,
        thread in any::<bool>(),
    ) {
        let mut parts: Vec<String> = words.clone();
        if let Some(f) = &from { parts.push(format!("from:@{f}")); }
        if let Some(c) = &chan { parts.push(format!("in:#{c}")); }
        parts.push(format!("on:{y:04}-{m:02}-{d:02}"));
        if thread { parts.push("is:thread".into()); }
        let q = parse(&parts.join(" ")).unwrap();
        prop_assert_eq!(q.words, words);
        prop_assert_eq!(q.from, from.into_iter().collect::<Vec<_>>());
        prop_assert_eq!(q.in_channels, chan.into_iter().collect::<Vec<_>>());
        let day = Date::from_calendar_date(y, Month::try_from(m).unwrap(), d).unwrap();
        prop_assert_eq!(q.after, Some(day));
        prop_assert_eq!(q.is_thread, thread);
    }
}

#[test]
fn the_word_being_typed_is_the_last_plain_word() {
    let typed = |s: &str| parse(s).unwrap().ends_with_word(s);
    assert!(typed("relea"));
    assert!(typed("budget relea"));
    assert!(typed("in:#eng relea"));
    assert!(!typed("relea "), "a space ends the word");
    assert!(!typed("relea in:#eng"), "the last term is an operator");
    assert!(!typed("plan -plan"), "an exclusion is not typed as a prefix");
    assert!(!typed("\"go plan\""), "a phrase is exact");
    assert!(!typed(""));
    assert!(!typed("from:@ada"));
}
