//! The renderer: the chat subset of markdown, links, XSS, mentions, emoji,
//! and the plain-text short path.

use super::*;

fn html(text: &str) -> String {
    render(text, &[]).html
}

#[test]
fn plain_text_takes_the_short_way_to_the_same_html() {
    let mut fast = 0;
    let words = [
        "Hello",
        "world",
        "it's",
        "\"quoted\"",
        "(aside)",
        "50%",
        "a/b",
        "x+y=z",
        "well-known",
        "ok!",
        "why?",
        "end.",
        "semi;",
        "café",
        "日本語",
        "naïve",
        "2024",
        "e.g.",
        "$5",
        "Ωmega",
    ];
    for n in 0..4000usize {
        let mut s = String::new();
        let len = 1 + n % 9;
        for k in 0..len {
            let w = words[(n * 7 + k * 13 + k * k) % words.len()];
            if k > 0 {
                s.push(if (n + k) % 11 == 0 { '\n' } else { ' ' });
            }
            s.push_str(w);
        }
        let full = render_full(&s, &[]).html;
        if let Some(p) = plain(&s) {
            assert_eq!(p, full, "{s:?}");
            fast += 1;
        }
    }
    assert!(fast > 1000, "only {fast} samples took the short way");
    for not_plain in [
        "- item",
        "1. one",
        "a  \nb",
        "see http://e.com",
        "a:b",
        "@ada",
        "x *y*",
        "# h",
        "a\n\nb",
        "",
        " lead",
    ] {
        assert!(plain(not_plain).is_none(), "{not_plain:?}");
    }
}

#[test]
fn markdown_renders_the_chat_subset() {
    assert_eq!(
        html("**b** _i_ ~~s~~ `c`"),
        "<p><strong>b</strong> <em>i</em> <del>s</del> <code>c</code></p>\n"
    );
    assert!(html("```\nlet x = 1;\n```").contains("<pre><code>let x = 1;\n</code></pre>"));
    assert!(html("> quoted").contains("<blockquote>"));
    assert!(html("- a\n- b").contains("<ul>\n<li>a</li>"));
    assert!(html("1. a\n2. b").contains("<ol>"));
    assert!(html("line one\nline two").contains("line one<br>"));
    assert!(html("# Big").contains("<p><strong>Big</strong></p>"));
}

#[test]
fn links_are_safe_and_bare_urls_autolink() {
    let h = html("see https://example.com/a?b=1&c=2 now");
    assert!(h.contains(r#"<a href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer nofollow">"#), "{h}");
    let h = html("[x](https://example.com)");
    assert!(h.contains(r#"href="https://example.com""#), "{h}");
    assert!(!html("`https://example.com`").contains("<a"));
}

#[test]
fn xss_payloads_come_out_inert() {
    for payload in [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "<a href=\"javascript:alert(1)\">x</a>",
        "![x](javascript:alert(1))",
        "<svg onload=alert(1)>",
        "[x](JaVaScRiPt:alert(1))",
        "<iframe src=//evil>",
    ] {
        let h = html(payload);
        let lower = h.to_lowercase();
        assert!(!lower.contains("<script"), "{payload} -> {h}");
        assert!(!lower.contains("<img"), "{payload} -> {h}");
        assert!(!lower.contains("<svg"), "{payload} -> {h}");
        assert!(!lower.contains("<iframe"), "{payload} -> {h}");
        // Handlers and script URLs may only survive as visible text, never inside a tag.
        let mut tags = lower.split('<').skip(1).map(|t| t.split('>').next().unwrap_or(""));
        assert!(tags.all(|t| !t.contains("onerror") && !t.contains("javascript:")), "{payload} -> {h}");
    }
    // Raw HTML is shown as typed, not dropped.
    assert!(html("<b>hi</b>").contains("&lt;b&gt;hi&lt;/b&gt;"));
}

#[test]
fn mentions_pick_the_longest_name_at_a_word_boundary() {
    let ada = Uuid::from_u128(1);
    let ada_l = Uuid::from_u128(2);
    let people = vec![(ada, "Ada".to_string()), (ada_l, "Ada Lovelace".to_string())];
    let r = render("hi @ada lovelace and @Ada, not mail@ada.io or `@ada`", &people);
    assert_eq!(r.mentions, vec![ada_l, ada]);
    assert!(
        r.html.contains(&format!(r#"<span class="mention" data-user="{ada_l}">@Ada Lovelace</span>"#)),
        "{}",
        r.html
    );
    assert!(r.html.contains("mail@ada.io"));
    assert!(r.html.contains("<code>@ada</code>"));
    assert!(!render("@adam", &people).mentions.contains(&ada));
    let all = render("heads up @here", &people);
    assert!(all.mentions_all && all.html.contains(r#"<span class="mention-all">@here</span>"#));
    assert_eq!(mention_fragments("a@b @Ada x @ "), vec!["Ada x @ ".to_string()]);
}

#[test]
fn emoji_shortcodes_become_unicode() {
    assert!(html("ship it :rocket: :nope:").contains("ship it 🚀 :nope:"));
    assert_eq!(canonical_emoji(":thumbsup:").unwrap().as_str(), "👍");
    assert_eq!(canonical_emoji("👍").unwrap().as_str(), "👍");
    assert!(canonical_emoji("<script>").is_none());
}
