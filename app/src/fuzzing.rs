//! The fuzz targets' bodies (`fuzz/fuzz_targets/*` call these, and the
//! regression test below replays every seed and every input that ever
//! crashed, from `fuzz/seeds/<target>/`), and the one definition of "inert
//! HTML" for rendered messages that the hostile-input tests use too.
//!
//! Each target must not panic on any input; `markdown` also fails on output
//! that is not inert, and `ws_frame` on an error without its code.

use uuid::Uuid;

/// A person the markdown target can mention.
pub const PERSON: Uuid = Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0001);

/// Tags the renderer may produce, each with the attributes it may carry
/// (kept in step with the sanitiser in `messages::markdown`).
const ALLOWED: &[(&str, &[&str])] = &[
    ("p", &[]),
    ("br", &[]),
    ("strong", &[]),
    ("em", &[]),
    ("del", &[]),
    ("code", &[]),
    ("pre", &[]),
    ("blockquote", &[]),
    ("ul", &[]),
    ("ol", &["start"]),
    ("li", &[]),
    ("a", &["href", "title", "rel", "target"]),
    ("span", &["data-user", "class"]),
    ("hr", &[]),
];

/// The first tag or attribute of `html` that a message must never carry (a
/// tag outside the list, an event handler, a style, a link to a script or
/// data URL), or `None` when it is inert. Text is escaped, so every `<` in
/// the HTML starts a real tag.
pub fn unsafe_html(html: &str) -> Option<String> {
    for raw in html.split('<').skip(1) {
        let tag = raw.split('>').next().unwrap_or("");
        let tag = tag.strip_prefix('/').unwrap_or(tag).trim_end_matches('/');
        let name: String = tag.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        let Some((_, attrs)) = ALLOWED.iter().find(|(t, _)| *t == name.to_ascii_lowercase()) else {
            return Some(format!("<{tag}>"));
        };
        for (attr, value) in attributes(&tag[name.len()..]) {
            if !attrs.contains(&attr.to_ascii_lowercase().as_str()) {
                return Some(format!("{attr} in <{tag}>"));
            }
            if attr.eq_ignore_ascii_case("href") && !safe_url(&value) {
                return Some(format!("href {value:?} in <{tag}>"));
            }
        }
    }
    None
}

/// `name="value"` pairs (html5ever serialises every value double-quoted).
fn attributes(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let end = rest.find(|c: char| c == '=' || c.is_whitespace()).unwrap_or(rest.len());
        let name = rest[..end].to_string();
        rest = &rest[end..];
        let mut value = String::new();
        if let Some(v) = rest.strip_prefix("=\"") {
            let close = v.find('"').unwrap_or(v.len());
            value = v[..close].to_string();
            rest = v.get(close + 1..).unwrap_or("");
        } else if let Some(v) = rest.strip_prefix('=') {
            let close = v.find(char::is_whitespace).unwrap_or(v.len());
            value = v[..close].to_string();
            rest = &v[close..];
        }
        if !name.is_empty() {
            out.push((name, value));
        }
        rest = rest.trim_start();
    }
    out
}

/// http(s), mailto, or relative. As a browser reads it: tabs and line breaks
/// inside are dropped, and a scheme is letters, digits, `+`, `-` or `.`
/// before the first `:` (`htt%EF%BF%BDps://x` has none: it is a relative
/// path).
fn safe_url(url: &str) -> bool {
    let lower: String = url
        .trim()
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .to_ascii_lowercase();
    // Serialised attributes escape `&` as `&amp;`, so a character reference
    // here (`&#106;avascript:`) would reach the browser as one.
    if lower.contains("&#") {
        return false;
    }
    let head = lower.split(['/', '?', '#']).next().unwrap_or("");
    match head.split_once(':') {
        None => true,
        Some((scheme, _)) => {
            let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            !is_scheme || ["http", "https", "mailto"].contains(&scheme)
        }
    }
}

/// The markdown renderer on any text: its HTML must be inert.
pub fn markdown(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let out = crate::messages::markdown::render(&text, &[(PERSON, "Ada".to_string())]);
    if let Some(bad) = unsafe_html(&out.html) {
        panic!("unsafe HTML {bad:?} from {text:?}: {}", out.html);
    }
}

/// The search query parser, and what both backends receive from a query.
pub fn search_query(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(q) = crate::search::query::parse(&text) {
        let _ = q.websearch();
        let _ = q.ends_with_word(&text);
        let _ = crate::search::meili::phrases::meili_text(&q);
        let _ = crate::search::meili::phrases::matches(&q, &text);
    }
}

/// A WebSocket client frame: a frame, or an error with one of its codes.
pub fn ws_frame(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err((code, _)) = crate::realtime::frames::parse(text) {
            assert!(["invalid_json", "invalid_frame", "unknown_type"].contains(&code), "{code}");
        }
    }
}

/// Decodes `data` as the arguments of the methods with the richest inputs,
/// as the JSON codec does, and runs decoded text through the pure parsers
/// the actions start with.
pub fn api_json(data: &[u8]) {
    use crate::{channels, messages, search, users};
    let _ = serde_json::from_slice::<messages::api::PostMessage>(data);
    let _ = serde_json::from_slice::<messages::api::Update>(data);
    let _ = serde_json::from_slice::<messages::api::History>(data);
    let _ = serde_json::from_slice::<channels::api::Create>(data);
    let _ = serde_json::from_slice::<channels::api::Invite>(data);
    let _ = serde_json::from_slice::<users::api::ProfileSet>(data);
    if let Ok(s) = serde_json::from_slice::<search::api::Messages>(data) {
        let _ = search::query::parse(&s.query);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::auth::validate_name("name", text);
        let _ = crate::auth::validate_email(text);
        let _ = crate::files::sniff::clean_name(text);
    }
}

/// A target's body.
pub type Target = fn(&[u8]);

/// Every target by its name in `fuzz/`.
pub const TARGETS: [(&str, Target); 4] =
    [("markdown", markdown), ("search_query", search_query), ("ws_frame", ws_frame), ("api_json", api_json)];

#[cfg(test)]
mod tests {
    use super::*;

    /// The seeds and every input that ever crashed a target, replayed.
    #[test]
    fn fuzz_seeds_and_past_crashes_pass() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds");
        let mut ran = 0;
        for (name, target) in TARGETS {
            let dir = root.join(name);
            for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
                let path = entry.unwrap().path();
                target(&std::fs::read(&path).unwrap());
                ran += 1;
            }
        }
        assert!(ran >= 20, "only {ran} seeds");
    }

    #[test]
    fn scripts_handlers_and_odd_links_are_caught() {
        assert_eq!(unsafe_html("<p>hi <strong>x</strong></p>"), None);
        let ok = r#"<a href="https://x.io" rel="noopener noreferrer nofollow" target="_blank">x</a>"#;
        assert_eq!(unsafe_html(ok), None);
        assert_eq!(unsafe_html(r#"<span class="mention" data-user="u">@A</span>"#), None);
        assert_eq!(unsafe_html("<p>&lt;script&gt;</p>"), None);
        assert!(unsafe_html("<script>alert(1)</script>").is_some());
        assert!(unsafe_html(r#"<p onclick="x">"#).is_some());
        assert!(unsafe_html(r#"<a href="javascript:alert(1)">"#).is_some());
        assert!(unsafe_html(r#"<a href="&#106;avascript:x">"#).is_some());
        assert!(unsafe_html(r#"<span style="x">"#).is_some());
        assert!(unsafe_html("<img src=x>").is_some());
        assert!(unsafe_html("<a href=\"java\tscript:x\">").is_some());
        assert_eq!(unsafe_html(r#"<a href="htt%EF%BF%BDps://x.io">"#), None, "no scheme: a relative path");
        assert_eq!(unsafe_html(r#"<a href="docs/a:b">"#), None);
    }
}
