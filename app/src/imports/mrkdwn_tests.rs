//! The mrkdwn conversion, checked as markdown and as the HTML the renderer
//! then makes of it.

use uuid::Uuid;

use super::*;
use crate::messages::markdown::render;

struct Known;

impl Names for Known {
    fn person(&self, id: &str) -> Option<String> {
        match id {
            "U1" => Some("Ada Lovelace".into()),
            "U2" => Some("bob".into()),
            _ => None,
        }
    }
    fn channel(&self, id: &str) -> Option<(String, String)> {
        (id == "C1").then(|| ("/c/00000000-0000-0000-0000-000000000001".into(), "general".into()))
    }
}

fn md(s: &str) -> String {
    convert(s, &Known).text
}

/// The HTML of a converted text, with the mentioned people known by name.
fn html(s: &str) -> String {
    let c = convert(s, &Known);
    let ada = Uuid::from_u128(1);
    let bob = Uuid::from_u128(2);
    let people: Vec<(Uuid, String)> = c
        .mentioned
        .iter()
        .filter_map(|id| match id.as_str() {
            "U1" => Some((ada, "Ada Lovelace".to_string())),
            "U2" => Some((bob, "bob".to_string())),
            _ => None,
        })
        .collect();
    render(&c.text, &people).html.trim_end().to_string()
}

#[test]
fn emphasis_bold_italic_strike_and_code() {
    assert_eq!(md("*bold*"), "**bold**");
    assert_eq!(md("_italic_"), "_italic_");
    assert_eq!(md("~gone~"), "~~gone~~");
    assert_eq!(md("use `a*b*c` here"), "use `a*b*c` here");
    assert_eq!(
        html("*bold* and _it_ and ~del~"),
        "<p><strong>bold</strong> and <em>it</em> and <del>del</del></p>"
    );
    assert_eq!(html("`x &lt; y`"), "<p><code>x &lt; y</code></p>");
}

#[test]
fn nested_and_malformed_markup() {
    assert_eq!(html("*bold _and italic_*"), "<p><strong>bold <em>and italic</em></strong></p>");
    assert_eq!(html("_it ~struck~_"), "<p><em>it <del>struck</del></em></p>");
    // Unclosed, intraword and spaced markers stay literal, as Slack shows them.
    assert_eq!(html("*not closed"), "<p>*not closed</p>");
    assert_eq!(html("2*3*4"), "<p>2*3*4</p>");
    assert_eq!(html("snake_case_name"), "<p>snake_case_name</p>");
    assert_eq!(html("* spaced *"), "<ul>\n<li>spaced *</li>\n</ul>");
    assert_eq!(html("a ** b"), "<p>a ** b</p>");
    // Emphasis never crosses a line.
    assert_eq!(html("*one\ntwo*"), "<p>*one<br>\ntwo*</p>");
    // Markdown that Slack does not speak stays text.
    assert_eq!(html("[x](y) # not a heading"), "<p>[x](y) # not a heading</p>");
    assert_eq!(html("# hash first"), "<p># hash first</p>");
    assert_eq!(html("back\\slash"), "<p>back\\slash</p>");
}

#[test]
fn code_blocks_keep_their_text() {
    assert_eq!(md("```let a = *b*;```"), "```\nlet a = *b*;\n```");
    assert_eq!(
        html("before ```if a &lt; b {\n  go()\n}``` after"),
        "<p>before</p>\n<pre><code>if a &lt; b {\n  go()\n}\n</code></pre>\n<p>after</p>"
    );
    // An unclosed fence is text.
    assert_eq!(html("```open"), "<p>```open</p>");
    // Tokens in code show their text.
    assert_eq!(md("```ping <@U1> at <https://x.io|x>```"), "```\nping @Ada Lovelace at x\n```");
}

#[test]
fn quotes_and_lists() {
    assert_eq!(
        html("&gt; quoted\nnot quoted"),
        "<blockquote>\n<p>quoted</p>\n</blockquote>\n<p>not quoted</p>"
    );
    assert_eq!(html("&gt;&gt;&gt; all\nof this"), "<blockquote>\n<p>all<br>\nof this</p>\n</blockquote>");
    assert_eq!(html("• one\n• two"), "<ul>\n<li>one</li>\n<li>two</li>\n</ul>");
    assert_eq!(html("- a\n- b"), "<ul>\n<li>a</li>\n<li>b</li>\n</ul>");
    assert_eq!(html("1. first\n2. second"), "<ol>\n<li>first</li>\n<li>second</li>\n</ol>");
}

#[test]
fn mentions_channels_links_and_specials() {
    let c = convert("hi <@U1> and <@U2|bob>, not <@U9|ghost>", &Known);
    assert_eq!(c.mentioned, vec!["U1".to_string(), "U2".to_string()]);
    assert_eq!(
        html("hi <@U1> and <@U2|bob>"),
        format!(
            "<p>hi <span class=\"mention\" data-user=\"{}\">@Ada Lovelace</span> and \
             <span class=\"mention\" data-user=\"{}\">@bob</span></p>",
            Uuid::from_u128(1),
            Uuid::from_u128(2)
        )
    );
    // An unknown person is plain text, never someone else's mention.
    assert_eq!(html("<@U9|ghost>"), "<p>@ghost</p>");
    assert_eq!(
        html("see <#C1|general>"),
        "<p>see <a href=\"/c/00000000-0000-0000-0000-000000000001\" target=\"_blank\" rel=\"noopener noreferrer nofollow\">#general</a></p>"
    );
    assert_eq!(html("<#C9|elsewhere>"), "<p>#elsewhere</p>");
    assert_eq!(
        html("<https://e.com/a?b=1&amp;c=2|the *docs*>"),
        "<p><a href=\"https://e.com/a?b=1&amp;c=2\" target=\"_blank\" rel=\"noopener noreferrer nofollow\">the *docs*</a></p>"
    );
    assert_eq!(
        html("<https://e.com>"),
        "<p><a href=\"https://e.com\" target=\"_blank\" rel=\"noopener noreferrer nofollow\">https://e.com</a></p>"
    );
    assert_eq!(
        html("<mailto:a@e.com|a@e.com>"),
        "<p><a href=\"mailto:a@e.com\" target=\"_blank\" rel=\"noopener noreferrer nofollow\">a@e.com</a></p>"
    );
    assert_eq!(
        html("<!here> <!channel> <!everyone>"),
        "<p><span class=\"mention-all\">@here</span> <span class=\"mention-all\">@channel</span> \
         <span class=\"mention-all\">@everyone</span></p>"
    );
    assert_eq!(html("<!subteam^S1|@design> <!date^1392734382^{date}|Feb 18>"), "<p>@design Feb 18</p>");
    assert_eq!(html("*bold <https://e.com|link>*"), "<p><strong>bold <a href=\"https://e.com\" target=\"_blank\" rel=\"noopener noreferrer nofollow\">link</a></strong></p>");
}

#[test]
fn entities_come_back_as_text() {
    assert_eq!(html("a &amp; b &lt;3 &gt;"), "<p>a &amp; b &lt;3 &gt;</p>");
    assert_eq!(html("&amp;copy;"), "<p>&amp;copy;</p>");
    assert_eq!(html("unclosed <token"), "<p>unclosed &lt;token</p>");
}

#[test]
fn hostile_text_comes_out_inert() {
    for evil in [
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "<javascript:alert(1)|click>",
        "<javascript:alert(1)>",
        "<https://e.com\" onmouseover=\"x|y>",
        "&lt;img src=x onerror=alert(1)&gt;",
        "```&lt;/code&gt;&lt;script&gt;x()&lt;/script&gt;```",
        "<data:text/html;base64,PHNjcmlwdD4=|data>",
        "[a](javascript:alert(1))",
        "*<javascript:x|bold link>*",
    ] {
        let h = html(evil);
        assert!(!h.contains("<script"), "{evil} gave {h}");
        assert!(!h.contains("<img"), "{evil} gave {h}");
        assert!(!h.to_lowercase().contains("href=\"javascript"), "{evil} gave {h}");
        assert!(!h.contains("href=\"data"), "{evil} gave {h}");
        assert!(!h.contains(" onmouseover="), "{evil} gave {h}");
    }
    assert_eq!(html("<javascript:alert(1)|click>"), "<p>click</p>");
}
