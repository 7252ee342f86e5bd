//! The search query language, parsed once for every backend.
//!
//! `launch "go live" -draft from:@ada in:#eng in:@bob before:2026-01-31
//! after:2025-12-01 on:2026-01-05 during:2026-01 has:file has:image has:link
//! has:reaction is:thread`
//!
//! Free words, quoted phrases and `-excluded` words (or `-"phrases"`) go to
//! full-text search; operators become filters. A malformed operator is an
//! error that names it and its character position, so the UI can point at
//! it; the parser never panics on any input (see the property test).

use serde::{Deserialize, Serialize};
use time::{Date, Month};

/// What `has:` can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Has {
    File,
    Image,
    Link,
    Reaction,
}

/// A parsed query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    pub words: Vec<String>,
    pub phrases: Vec<String>,
    pub excluded: Vec<String>,
    /// `from:@name` (display names, without the `@`).
    pub from: Vec<String>,
    /// `in:#channel` (names, without the `#`).
    pub in_channels: Vec<String>,
    /// `in:@name`: the DM with that person.
    pub in_dms: Vec<String>,
    /// Messages created on or after this day.
    pub after: Option<Date>,
    /// Messages created before this day.
    pub before: Option<Date>,
    pub has: Vec<Has>,
    pub is_thread: bool,
}

/// Why a query could not be parsed: a message for people, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseError {
    pub message: String,
    /// Character (not byte) offset of the offending term.
    pub position: usize,
}

impl Query {
    /// Whether there is full text to match (otherwise only filters apply).
    pub fn has_text(&self) -> bool {
        !self.words.is_empty() || !self.phrases.is_empty()
    }

    /// Whether the query asks for anything at all.
    pub fn is_empty(&self) -> bool {
        *self == Query::default()
    }

    /// The text part in `websearch_to_tsquery` syntax: words, "phrases"
    /// and -exclusions (quotes inside terms are dropped).
    pub fn websearch(&self) -> String {
        let clean = |s: &str| s.replace('"', " ");
        let mut parts: Vec<String> = self.words.iter().map(|w| clean(w)).collect();
        parts.extend(self.phrases.iter().map(|p| format!("\"{}\"", clean(p))));
        parts.extend(self.excluded.iter().map(|e| {
            if e.contains(char::is_whitespace) {
                format!("-\"{}\"", clean(e))
            } else {
                format!("-{}", clean(e))
            }
        }));
        parts.join(" ")
    }

    /// Whether `input` (the text this query was parsed from) ends in the
    /// plain word `words.last()`, still being typed: no space after it, not
    /// quoted, negated or an operator. Search as you type matches that
    /// word as a prefix.
    pub fn ends_with_word(&self, input: &str) -> bool {
        let Some(last) = self.words.last() else { return false };
        if input.ends_with(char::is_whitespace) {
            return false;
        }
        input
            .strip_suffix(last.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.ends_with(char::is_whitespace))
    }

    /// Narrows the date range to `[from, until)`.
    fn within(&mut self, from: Date, until: Date) {
        self.after = Some(self.after.map_or(from, |a| a.max(from)));
        self.before = Some(self.before.map_or(until, |b| b.min(until)));
    }
}

/// One whitespace-separated term (a quoted phrase is one term).
struct Term {
    text: String,
    position: usize,
    quoted: bool,
    negated: bool,
}

fn terms(input: &str) -> Result<Vec<Term>, ParseError> {
    // Control characters (NUL, escapes) separate terms like spaces: they
    // match nothing, and Postgres refuses NUL in text.
    let chars: Vec<char> = input.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let negated = chars[i] == '-' && i + 1 < chars.len() && !chars[i + 1].is_whitespace();
        if negated {
            i += 1;
        }
        if chars[i] == '"' {
            let open = i;
            i += 1;
            let from = i;
            while i < chars.len() && chars[i] != '"' {
                i += 1;
            }
            if i == chars.len() {
                return Err(ParseError { message: "This quote is never closed.".into(), position: open });
            }
            let text: String = chars[from..i].iter().collect();
            i += 1;
            out.push(Term { text: text.trim().to_string(), position: start, quoted: true, negated });
        } else {
            let from = i;
            while i < chars.len() && !chars[i].is_whitespace() {
                i += 1;
            }
            out.push(Term { text: chars[from..i].iter().collect(), position: start, quoted: false, negated });
        }
    }
    Ok(out)
}

fn day(s: &str) -> Option<Date> {
    let mut it = s.splitn(3, '-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    Date::from_calendar_date(y.parse().ok()?, Month::try_from(m.parse::<u8>().ok()?).ok()?, d.parse().ok()?)
        .ok()
}

/// `2026-01` → January 2026; `2026` → the year. Returns `[start, end)`.
fn period(s: &str) -> Option<(Date, Date)> {
    match s.split_once('-') {
        None if s.len() == 4 => {
            let y: i32 = s.parse().ok()?;
            Some((
                Date::from_calendar_date(y, Month::January, 1).ok()?,
                Date::from_calendar_date(y + 1, Month::January, 1).ok()?,
            ))
        }
        Some((y, m)) if y.len() == 4 && m.len() == 2 => {
            let (y, m): (i32, u8) = (y.parse().ok()?, m.parse().ok()?);
            let month = Month::try_from(m).ok()?;
            let start = Date::from_calendar_date(y, month, 1).ok()?;
            let end = if month == Month::December {
                Date::from_calendar_date(y + 1, Month::January, 1).ok()?
            } else {
                Date::from_calendar_date(y, month.next(), 1).ok()?
            };
            Some((start, end))
        }
        _ => None,
    }
}

const OPERATORS: &[&str] = &["from", "in", "before", "after", "on", "during", "has", "is"];

/// Parses a query. Operator names are case-insensitive.
pub fn parse(input: &str) -> Result<Query, ParseError> {
    let mut q = Query::default();
    for t in terms(input)? {
        let err = |message: String| ParseError { message, position: t.position };
        if t.quoted {
            if t.text.is_empty() {
                continue;
            }
            if t.negated {
                q.excluded.push(t.text);
            } else {
                q.phrases.push(t.text);
            }
            continue;
        }
        let op = t.text.split_once(':').filter(|(k, _)| OPERATORS.contains(&k.to_ascii_lowercase().as_str()));
        let Some((key, value)) = op else {
            // A word; `-word` excludes it. Lone punctuation is dropped.
            if t.text.chars().any(char::is_alphanumeric) {
                if t.negated {
                    q.excluded.push(t.text);
                } else {
                    q.words.push(t.text);
                }
            }
            continue;
        };
        let key = key.to_ascii_lowercase();
        if t.negated {
            return Err(err(format!("{key}: can't be negated.")));
        }
        if value.is_empty() {
            return Err(err(format!("{key}: needs a value, like {}", example(&key))));
        }
        match key.as_str() {
            "from" => q.from.push(value.trim_start_matches('@').to_string()),
            "in" => match value.chars().next() {
                Some('#') if value.len() > 1 => q.in_channels.push(value[1..].to_lowercase()),
                Some('@') if value.len() > 1 => q.in_dms.push(value[1..].to_string()),
                _ => q.in_channels.push(value.to_lowercase()),
            },
            "before" | "after" | "on" => {
                let d =
                    day(value).ok_or_else(|| err(format!("{key}:{value} is not a date; use YYYY-MM-DD.")))?;
                match key.as_str() {
                    "before" => q.within(Date::MIN, d),
                    "after" => q.within(d.next_day().unwrap_or(d), Date::MAX),
                    _ => q.within(d, d.next_day().unwrap_or(d)),
                }
            }
            "during" => {
                let (a, b) = period(value).ok_or_else(|| {
                    err(format!("during:{value} is not a month or year; use YYYY-MM or YYYY."))
                })?;
                q.within(a, b);
            }
            "has" => {
                let h = match value.to_ascii_lowercase().as_str() {
                    "file" | "files" => Has::File,
                    "image" | "images" | "photo" => Has::Image,
                    "link" | "links" => Has::Link,
                    "reaction" | "reactions" => Has::Reaction,
                    _ => {
                        return Err(err(format!(
                            "has:{value} is unknown; use has:file, has:image, has:link or has:reaction."
                        )))
                    }
                };
                if !q.has.contains(&h) {
                    q.has.push(h);
                }
            }
            _ => match value.to_ascii_lowercase().as_str() {
                "thread" => q.is_thread = true,
                _ => return Err(err(format!("is:{value} is unknown; use is:thread."))),
            },
        }
    }
    Ok(q)
}

fn example(key: &str) -> &'static str {
    match key {
        "from" => "from:@ada",
        "in" => "in:#general or in:@ada",
        "before" | "after" | "on" => "before:2026-01-31",
        "during" => "during:2026-01",
        "has" => "has:file",
        _ => "is:thread",
    }
}

#[cfg(test)]
#[path = "query_tests.rs"]
mod tests;
