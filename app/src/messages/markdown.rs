//! Message text to safe HTML: markdown (pulldown-cmark), mentions, bare-URL
//! links (linkify) and `:shortcode:` emoji, then a strict allow-list
//! sanitiser (ammonia) as the last word.
//!
//! Raw HTML in the text is turned into literal text before rendering, so it
//! shows as typed; ammonia then strips anything not on its list (scripts,
//! event handlers, `javascript:` URLs), so even a renderer bug cannot emit
//! active content. Mentions and links are only recognised in plain text, never
//! inside code.

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, TextMergeStream};
use uuid::Uuid;

/// The rendered form of a message.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rendered {
    pub html: String,
    pub mentions: Vec<Uuid>,
    pub mentions_all: bool,
}

static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    b.add_tags([
        "p",
        "br",
        "strong",
        "em",
        "del",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "span",
        "hr",
    ])
    .add_tag_attributes("a", ["href"])
    .add_tag_attributes("ol", ["start"])
    .add_tag_attributes("span", ["data-user"])
    .add_allowed_classes("span", ["mention", "mention-all"])
    .url_schemes(HashSet::from(["http", "https", "mailto"]))
    .url_relative(ammonia::UrlRelative::PassThrough)
    .link_rel(Some("noopener noreferrer nofollow"))
    .set_tag_attribute_value("a", "target", "_blank");
    b
});

/// Escapes text for HTML (element content and quoted attributes).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Fragments that follow an `@` at the start of a word: what mentions may
/// name. The caller looks up members whose name starts each fragment.
pub fn mention_fragments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        if c == '@' && !prev.is_some_and(|p| p.is_alphanumeric() || p == '_') {
            let frag: String = text[i + 1..].chars().take(crate::auth::MAX_NAME_LEN + 1).collect();
            if frag.chars().next().is_some_and(|f| !f.is_whitespace()) && out.len() < 50 {
                out.push(frag);
            }
        }
        prev = Some(c);
    }
    out
}

/// The byte length of `name` at the start of `rest`, compared case-blind,
/// when it ends at a word boundary.
fn match_name(rest: &str, name: &str) -> Option<usize> {
    let mut r = rest.char_indices();
    for n in name.chars() {
        let (_, c) = r.next()?;
        if !c.to_lowercase().eq(n.to_lowercase()) {
            return None;
        }
    }
    let end = r.next().map_or(rest.len(), |(i, _)| i);
    let boundary = rest[end..].chars().next().is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
    boundary.then_some(end)
}

struct Ctx<'a> {
    people: &'a [(Uuid, String)],
    mentions: Vec<Uuid>,
    mentions_all: bool,
}

impl Ctx<'_> {
    /// Renders a run of plain text: mentions, emoji shortcodes, bare links.
    fn text(&mut self, text: &str, in_link: bool) -> String {
        let mut out = String::with_capacity(text.len() + 16);
        let links: Vec<linkify::Link> = if in_link {
            Vec::new()
        } else {
            linkify::LinkFinder::new().kinds(&[linkify::LinkKind::Url]).links(text).collect()
        };
        let mut pos = 0;
        for link in links {
            self.words(&text[pos..link.start()], &mut out);
            let url = link.as_str();
            out.push_str(&format!("<a href=\"{}\">{}</a>", escape(url), escape(url)));
            pos = link.end();
        }
        self.words(&text[pos..], &mut out);
        out
    }

    fn words(&mut self, text: &str, out: &mut String) {
        let mut i = 0;
        let mut plain_from = 0;
        let mut prev: Option<char> = None;
        while i < text.len() {
            let c = text[i..].chars().next().unwrap_or(' ');
            let at_word_start = !prev.is_some_and(|p| p.is_alphanumeric() || p == '_');
            let mut consumed = None;
            if c == '@' && at_word_start {
                consumed = self.mention(&text[i + 1..], out, &text[plain_from..i]);
            } else if c == ':' {
                consumed = emoji_shortcode(&text[i + 1..]).map(|(len, emoji)| {
                    out.push_str(&escape(&text[plain_from..i]));
                    out.push_str(emoji);
                    len
                });
            }
            match consumed {
                Some(len) => {
                    i += 1 + len;
                    plain_from = i;
                    prev = Some('x');
                }
                None => {
                    i += c.len_utf8();
                    prev = Some(c);
                }
            }
        }
        out.push_str(&escape(&text[plain_from..]));
    }

    fn mention(&mut self, rest: &str, out: &mut String, before: &str) -> Option<usize> {
        for special in ["channel", "here", "everyone"] {
            if let Some(len) = match_name(rest, special) {
                out.push_str(&escape(before));
                out.push_str(&format!("<span class=\"mention-all\">@{special}</span>"));
                self.mentions_all = true;
                return Some(len);
            }
        }
        // The longest name wins: "@Ada Lovelace" over "@Ada".
        let best = self
            .people
            .iter()
            .filter_map(|(id, name)| match_name(rest, name).map(|len| (len, id, name)))
            .max_by_key(|(len, _, _)| *len)?;
        let (len, id, name) = best;
        out.push_str(&escape(before));
        out.push_str(&format!("<span class=\"mention\" data-user=\"{id}\">@{}</span>", escape(name)));
        if !self.mentions.contains(id) {
            self.mentions.push(*id);
        }
        Some(len)
    }
}

/// `name:` at the start of `rest` for a known shortcode: (bytes, emoji).
fn emoji_shortcode(rest: &str) -> Option<(usize, &'static str)> {
    let end = rest.find(':')?;
    let code = &rest[..end];
    if code.is_empty()
        || code.len() > 40
        || !code.chars().all(|c| c.is_ascii_alphanumeric() || "_+-".contains(c))
    {
        return None;
    }
    emojis::get_by_shortcode(code).map(|e| (end + 1, e.as_str()))
}

/// Renders message text. `people` are the workspace members whose names may
/// be mentioned (see [`mention_fragments`]).
pub fn render(text: &str, people: &[(Uuid, String)]) -> Rendered {
    match plain(text) {
        Some(html) => Rendered { html, mentions: Vec::new(), mentions_all: false },
        None => render_full(text, people),
    }
}

/// Punctuation that is never markup, a mention, an emoji or a link in
/// the middle of a line.
const PLAIN_PUNCTUATION: &str = " ,.?'\"()-!;/%$+=";

/// The HTML of plain text, built directly: lines of letters, digits,
/// spaces and [`PLAIN_PUNCTUATION`], each starting with a letter (so no
/// list, quote, heading or code block can start) and not ending in a space
/// (a hard break). The full pipeline gives the same bytes for such text (a
/// test compares them) at many times the cost; most chat messages, and
/// most imported history, are such text.
fn plain(text: &str) -> Option<String> {
    if text.is_empty() || text.len() > 4000 {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str("<p>");
    for (i, line) in text.split('\n').enumerate() {
        if !line.chars().next()?.is_alphabetic() || line.ends_with(' ') {
            return None;
        }
        if !line.chars().all(|c| c.is_alphanumeric() || PLAIN_PUNCTUATION.contains(c)) {
            return None;
        }
        if i > 0 {
            out.push_str("<br>\n");
        }
        out.push_str(line);
    }
    out.push_str("</p>\n");
    Some(out)
}

/// The whole pipeline: markdown, mentions, emoji, links, sanitiser.
fn render_full(text: &str, people: &[(Uuid, String)]) -> Rendered {
    let mut ctx = Ctx { people, mentions: Vec::new(), mentions_all: false };
    let mut in_code = 0usize;
    let mut in_link = 0usize;
    let mut events = Vec::new();
    let parser = TextMergeStream::new(Parser::new_ext(text, Options::ENABLE_STRIKETHROUGH));
    for ev in parser {
        let ev = match ev {
            Event::Start(Tag::CodeBlock(_)) => {
                in_code += 1;
                Event::Start(Tag::CodeBlock(pulldown_cmark::CodeBlockKind::Indented))
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code = in_code.saturating_sub(1);
                Event::End(TagEnd::CodeBlock)
            }
            Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
                in_link += 1;
                Event::Start(Tag::Link { link_type, dest_url, title, id })
            }
            Event::End(TagEnd::Image) => {
                in_link = in_link.saturating_sub(1);
                Event::End(TagEnd::Link)
            }
            Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                in_link += 1;
                Event::Start(Tag::Link { link_type, dest_url, title, id })
            }
            Event::End(TagEnd::Link) => {
                in_link = in_link.saturating_sub(1);
                Event::End(TagEnd::Link)
            }
            // Chat has no headings: show them as bold lines.
            Event::Start(Tag::Heading { .. }) => {
                events.push(Event::Start(Tag::Paragraph));
                Event::Start(Tag::Strong)
            }
            Event::End(TagEnd::Heading(_)) => {
                events.push(Event::End(TagEnd::Strong));
                Event::End(TagEnd::Paragraph)
            }
            Event::Start(Tag::HtmlBlock) => Event::Start(Tag::Paragraph),
            Event::End(TagEnd::HtmlBlock) => Event::End(TagEnd::Paragraph),
            // Raw HTML shows as the text that was typed.
            Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
            Event::SoftBreak => Event::HardBreak,
            Event::Text(t) if in_code == 0 => Event::Html(CowStr::from(ctx.text(&t, in_link > 0))),
            other => other,
        };
        events.push(ev);
    }
    let mut raw = String::with_capacity(text.len() * 3 / 2 + 16);
    pulldown_cmark::html::push_html(&mut raw, events.into_iter());
    Rendered { html: CLEANER.clean(&raw).to_string(), mentions: ctx.mentions, mentions_all: ctx.mentions_all }
}

/// Canonical form of a reaction emoji: the unicode emoji for a shortcode
/// (`thumbsup`, `:+1:`) or for unicode input. Unknown input is `None`.
pub fn canonical_emoji(input: &str) -> Option<&'static emojis::Emoji> {
    let s = input.trim();
    let code = s.trim_matches(':');
    emojis::get_by_shortcode(code).or_else(|| emojis::get(s))
}

#[cfg(test)]
#[path = "markdown_tests.rs"]
mod tests;
