//! Slack's mrkdwn to ThreadSpace's markdown (CommonMark with `~~strike~~`),
//! so that imported messages render like messages typed here.
//!
//! Slack's rules are not CommonMark's: `*bold*`, `_italic_` and `~strike~`
//! open only after a non-word character and close only before one, never
//! across a line; `<...>` carries mentions, channel links and links; the
//! text has `&`, `<` and `>` escaped as entities. Everything Slack shows as
//! literal text is escaped here so that CommonMark shows it literally too
//! (an unmatched `*`, a `[`, a leading `#`). The result still goes through
//! the normal renderer and its sanitiser, so markup that slips through can
//! never become active content.

/// What a conversion needs from the import: the names of the people and
/// channels that `<@U…>` and `<#C…>` point at.
pub trait Names {
    /// The display name of a Slack user id, when the import knows it.
    fn person(&self, slack_id: &str) -> Option<String>;
    /// The ThreadSpace link and name of a Slack channel id.
    fn channel(&self, slack_id: &str) -> Option<(String, String)>;
}

/// The converted text plus the Slack ids it mentioned (so the renderer
/// turns exactly those names into mentions, never a plain "@word").
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Converted {
    pub text: String,
    pub mentioned: Vec<String>,
}

/// Converts one message's text.
pub fn convert(raw: &str, names: &dyn Names) -> Converted {
    let mut c = Conv { names, mentioned: Vec::new() };
    let text = c.blocks(raw);
    Converted { text, mentioned: c.mentioned }
}

struct Conv<'a> {
    names: &'a dyn Names,
    mentioned: Vec<String>,
}

/// `&amp;`, `&lt;`, `&gt;` (the only entities Slack writes) back to text.
pub fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// Escapes what CommonMark would read as markup inside a line.
fn escape_md(s: &str, out: &mut String) {
    for ch in s.chars() {
        if matches!(ch, '\\' | '*' | '_' | '~' | '`' | '[' | ']' | '<' | '>' | '&' | '!' | '|') {
            out.push('\\');
        }
        out.push(ch);
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric()
}

impl Conv<'_> {
    /// Splits out code blocks (```…```, which may start mid-line), then
    /// converts the text between them line by line.
    fn blocks(&mut self, raw: &str) -> String {
        let mut out = String::with_capacity(raw.len() + 16);
        let mut rest = raw;
        let mut quoting_all = false;
        while !rest.is_empty() {
            let (text, code, after) = match rest.find("```") {
                Some(open) => match rest[open + 3..].find("```") {
                    Some(close) => (
                        &rest[..open],
                        Some(&rest[open + 3..open + 3 + close]),
                        &rest[open + 3 + close + 3..],
                    ),
                    None => (rest, None, ""),
                },
                None => (rest, None, ""),
            };
            quoting_all = self.lines(text, &mut out, quoting_all);
            if let Some(code) = code {
                if !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
                let body = unescape(code.strip_prefix('\n').unwrap_or(code));
                // A fence longer than any run of backticks inside.
                let fence = "`".repeat(longest_run(&body, '`').max(2) + 1);
                let prefix = if quoting_all { "> " } else { "" };
                out.push_str(prefix);
                out.push_str(&fence);
                out.push('\n');
                for line in body.trim_end_matches('\n').split('\n') {
                    out.push_str(prefix);
                    out.push_str(&self.plain_tokens(line));
                    out.push('\n');
                }
                out.push_str(prefix);
                out.push_str(&fence);
                out.push('\n');
            }
            rest = after;
        }
        out.trim_end_matches('\n').to_string()
    }

    /// Converts lines of text: quotes (`&gt;`, `&gt;&gt;&gt;` for the rest
    /// of the message), bullets and the inline markup of each line.
    /// Returns whether a `>>>` quote is still open.
    fn lines(&mut self, text: &str, out: &mut String, mut quoting_all: bool) -> bool {
        if text.is_empty() {
            return quoting_all;
        }
        let mut was_quote = false;
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let mut l = line;
            if let Some(r) = l.strip_prefix("&gt;&gt;&gt;") {
                quoting_all = true;
                l = r.strip_prefix(' ').unwrap_or(r);
            }
            let quote = if quoting_all {
                true
            } else if let Some(r) = l.strip_prefix("&gt;") {
                l = r.strip_prefix(' ').unwrap_or(r);
                true
            } else {
                false
            };
            if was_quote && !quote && !l.trim().is_empty() {
                // Ends the quote: CommonMark would continue it lazily.
                out.push('\n');
            }
            was_quote = quote;
            if quote {
                out.push_str("> ");
            }
            let indent = l.len() - l.trim_start().len();
            let body = l.trim_start();
            out.push_str(&l[..indent]);
            let body = match ['•', '◦', '▪', '▫', '‣'].iter().find_map(|b| body.strip_prefix(*b)) {
                Some(item) => {
                    out.push_str("- ");
                    item.trim_start()
                }
                None => body,
            };
            if let Some(h) = body.strip_prefix('#') {
                out.push_str("\\#");
                out.push_str(&self.inline(h));
            } else if body.starts_with("- ") || body.starts_with("* ") || body.starts_with("+ ") {
                // Typed list items stay lists.
                out.push_str(&body[..2]);
                out.push_str(&self.inline(&body[2..]));
            } else {
                out.push_str(&self.inline(body));
            }
        }
        quoting_all
    }

    /// Inline markup of one line.
    fn inline(&mut self, s: &str) -> String {
        let chars: Vec<(usize, char)> = s.char_indices().collect();
        let mut out = String::with_capacity(s.len() + 8);
        let mut i = 0;
        while i < chars.len() {
            let (at, c) = chars[i];
            match c {
                '<' => {
                    if let Some(end) = s[at..].find('>') {
                        out.push_str(&self.token(&s[at + 1..at + end]));
                        i = index_at(&chars, at + end + 1);
                        continue;
                    }
                    out.push_str("\\<");
                }
                '`' => {
                    if let Some(len) = s[at + 1..].find('`').filter(|l| *l > 0) {
                        let code = unescape(&s[at + 1..at + 1 + len]);
                        out.push('`');
                        out.push_str(&code);
                        out.push('`');
                        i = index_at(&chars, at + 1 + len + 1);
                        continue;
                    }
                    out.push_str("\\`");
                }
                '*' | '_' | '~' => {
                    let before = i.checked_sub(1).map(|j| chars[j].1);
                    if let Some(close) = closer(&chars, i, c).filter(|_| !before.is_some_and(is_word)) {
                        let inner = self.inline(&s[at + 1..chars[close].0]);
                        let mark = match c {
                            '*' => "**",
                            '_' => "_",
                            _ => "~~",
                        };
                        out.push_str(mark);
                        out.push_str(&inner);
                        out.push_str(mark);
                        i = close + 1;
                        continue;
                    }
                    out.push('\\');
                    out.push(c);
                }
                '&' => {
                    let rest = &s[at..];
                    let (text, len) = if rest.starts_with("&amp;") {
                        ("&", 5)
                    } else if rest.starts_with("&lt;") {
                        ("<", 4)
                    } else if rest.starts_with("&gt;") {
                        (">", 4)
                    } else {
                        ("&", 1)
                    };
                    escape_md(text, &mut out);
                    i = index_at(&chars, at + len);
                    continue;
                }
                c => escape_md(c.encode_utf8(&mut [0; 4]), &mut out),
            }
            i += 1;
        }
        out
    }

    /// One `<…>` token.
    fn token(&mut self, t: &str) -> String {
        let (target, label) = match t.split_once('|') {
            Some((a, b)) => (a, Some(b)),
            None => (t, None),
        };
        let mut out = String::new();
        if let Some(id) = target.strip_prefix('@') {
            match self.names.person(id) {
                Some(name) => {
                    if !self.mentioned.iter().any(|m| m == id) {
                        self.mentioned.push(id.to_string());
                    }
                    out.push('@');
                    escape_md(&name, &mut out);
                }
                None => {
                    out.push('@');
                    escape_md(&unescape(label.unwrap_or(id)), &mut out);
                }
            }
        } else if let Some(id) = target.strip_prefix('#') {
            match self.names.channel(id) {
                Some((url, name)) => {
                    out.push_str("[#");
                    escape_md(&name, &mut out);
                    out.push_str(&format!("](<{url}>)"));
                }
                None => {
                    out.push('#');
                    escape_md(&unescape(label.unwrap_or(id)), &mut out);
                }
            }
        } else if let Some(special) = target.strip_prefix('!') {
            let word = special.split('^').next().unwrap_or_default();
            match word {
                "here" | "channel" | "everyone" => {
                    out.push('@');
                    out.push_str(word);
                }
                _ => escape_md(&unescape(label.unwrap_or(word)), &mut out),
            }
        } else {
            let url = unescape(target);
            let lower = url.to_ascii_lowercase();
            let safe = (lower.starts_with("https://")
                || lower.starts_with("http://")
                || lower.starts_with("mailto:"))
                && !url.chars().any(|c| c.is_whitespace() || c == '<' || c == '>' || c.is_control());
            let shown = unescape(label.unwrap_or(target));
            if safe {
                out.push('[');
                escape_md(&shown, &mut out);
                out.push_str(&format!("](<{url}>)"));
            } else {
                escape_md(&shown, &mut out);
            }
        }
        out
    }

    /// Tokens inside a code block: the text they stand for, no markup.
    fn plain_tokens(&mut self, line: &str) -> String {
        let mut out = String::with_capacity(line.len());
        let mut rest = line;
        while let Some(open) = rest.find('<') {
            out.push_str(&rest[..open]);
            match rest[open..].find('>') {
                Some(end) => {
                    let t = &rest[open + 1..open + end];
                    let (target, label) = t.split_once('|').map_or((t, None), |(a, b)| (a, Some(b)));
                    let shown = if let Some(id) = target.strip_prefix('@') {
                        format!(
                            "@{}",
                            self.names.person(id).or(label.map(str::to_string)).unwrap_or(id.into())
                        )
                    } else if let Some(id) = target.strip_prefix('#') {
                        format!("#{}", label.unwrap_or(id))
                    } else if let Some(s) = target.strip_prefix('!') {
                        label.map_or_else(
                            || format!("@{}", s.split('^').next().unwrap_or_default()),
                            str::to_string,
                        )
                    } else {
                        label.unwrap_or(target).to_string()
                    };
                    out.push_str(&shown);
                    rest = &rest[open + end + 1..];
                }
                None => {
                    out.push_str(&rest[open..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// The index in `chars` of the character at byte `at` (or the end).
fn index_at(chars: &[(usize, char)], at: usize) -> usize {
    chars.partition_point(|(b, _)| *b < at)
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for ch in s.chars() {
        run = if ch == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// Where the emphasis opened at `open` closes, by Slack's rules: the next
/// `c` after a non-space, followed by a non-word character or the end,
/// with a non-space right after the opener. `<…>` tokens and code spans
/// are skipped over.
fn closer(chars: &[(usize, char)], open: usize, c: char) -> Option<usize> {
    let first = chars.get(open + 1)?.1;
    if first.is_whitespace() || first == c {
        return None;
    }
    let mut j = open + 1;
    while j < chars.len() {
        let ch = chars[j].1;
        if ch == '<' || ch == '`' {
            let end = if ch == '<' { '>' } else { '`' };
            if let Some(k) = (j + 1..chars.len()).find(|&k| chars[k].1 == end) {
                j = k + 1;
                continue;
            }
        }
        if ch == c && j > open + 1 {
            let prev = chars[j - 1].1;
            let next = chars.get(j + 1).map(|x| x.1);
            if !prev.is_whitespace() && !next.is_some_and(|n| is_word(n) || n == c) {
                return Some(j);
            }
        }
        j += 1;
    }
    None
}

#[cfg(test)]
#[path = "mrkdwn_tests.rs"]
mod tests;
