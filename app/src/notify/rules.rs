//! Whether one new message notifies one member, and why. Pure: the browser
//! calls it for every message event, and the unit tests below pin it down.

use time::OffsetDateTime;
use uuid::Uuid;

use super::{Level, Prefs, Schedule};
use crate::messages::Message;

/// Why a message notifies (the notification's wording follows it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Dm,
    Mention,
    Keyword,
    /// A reply in a thread the member follows (wrote in, or was mentioned in).
    Reply,
    /// Any other message, for a conversation set to everything.
    Message,
}

/// What the browser knows at the moment the message arrives.
#[derive(Debug, Clone, Copy)]
pub struct Moment {
    pub now: OffsetDateTime,
    /// Minutes after midnight in the member's time zone.
    pub local_minute: u16,
    /// Whether the member counts as here now (`@here`): not away or idle.
    pub active: bool,
    /// Whether a visible, focused tab shows this conversation (or thread).
    pub viewing: bool,
}

/// The message as it concerns the member `me`.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    pub me: Uuid,
    pub is_dm: bool,
    pub follows_thread: bool,
    pub message: &'a Message,
}

/// Whether the member is in do-not-disturb at `at`.
pub fn in_dnd(prefs: &Prefs, now: OffsetDateTime, local_minute: u16) -> bool {
    prefs.dnd_until.is_some_and(|u| u > now) || prefs.schedule.is_some_and(|s| s.contains(local_minute))
}

impl Schedule {
    /// Whether the quiet period covers `minute` (after midnight). A period
    /// that ends before it starts wraps past midnight; an empty one is never on.
    pub fn contains(self, minute: u16) -> bool {
        match self.start.cmp(&self.end) {
            std::cmp::Ordering::Less => (self.start..self.end).contains(&minute),
            std::cmp::Ordering::Greater => minute >= self.start || minute < self.end,
            std::cmp::Ordering::Equal => false,
        }
    }
}

/// Whether `text` holds `keyword` as a whole word (or phrase), ignoring case.
pub fn has_keyword(text: &str, keyword: &str) -> bool {
    let (text, keyword) = (text.to_lowercase(), keyword.trim().to_lowercase());
    if keyword.is_empty() {
        return false;
    }
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    text.match_indices(&keyword)
        .any(|(i, _)| !word(text[..i].chars().next_back()) && !word(text[i + keyword.len()..].chars().next()))
}

/// Whether a message's rendered `html` names `@channel` or `@everyone`
/// (everyone in the conversation), not only `@here` (those online now).
pub fn reaches_everyone(html: &str) -> bool {
    html.contains(">@channel<") || html.contains(">@everyone<")
}

/// Why `seen.message` notifies under `prefs`, or `None` when it must not.
pub fn decide(prefs: &Prefs, seen: Seen<'_>, at: Moment) -> Option<Reason> {
    let m = seen.message;
    if m.user == seen.me || m.is_deleted || at.viewing || prefs.is_muted(m.channel) {
        return None;
    }
    if in_dnd(prefs, at.now, at.local_minute) {
        return None;
    }
    let level = prefs.channel(m.channel).and_then(|c| c.level).unwrap_or(prefs.level);
    let here_only = !reaches_everyone(&m.html);
    let reason = if seen.is_dm {
        Reason::Dm
    } else if m.mentions.contains(&seen.me) || (m.mentions_all && (at.active || !here_only)) {
        Reason::Mention
    } else if prefs.keywords.iter().any(|k| has_keyword(&m.text, k)) {
        Reason::Keyword
    } else if m.thread_seq.is_some() && seen.follows_thread {
        Reason::Reply
    } else {
        Reason::Message
    };
    let in_channel = m.thread_seq.is_none() || m.also_in_channel;
    match (level, reason) {
        (Level::Nothing, _) => None,
        (Level::Mentions, Reason::Message) => None,
        // "Everything" covers what shows in the channel, not every reply.
        (Level::All, Reason::Message) if !in_channel => None,
        (_, r) => Some(r),
    }
}

/// The notification's title; `conv` names the conversation ("#general").
pub fn title(reason: Reason, m: &Message, conv: &str) -> String {
    match reason {
        Reason::Dm => m.user_name.clone(),
        Reason::Reply => format!("{} replied in a thread in {conv}", m.user_name),
        _ => format!("{} in {conv}", m.user_name),
    }
}

/// The notification's text: the message's start, or what it shared.
pub fn body(m: &Message) -> String {
    let text: String = m.text.chars().take(180).collect();
    match (text.is_empty(), m.files.len()) {
        (false, _) => text,
        (true, 0) => "New message".into(),
        (true, 1) => format!("Shared a file: {}", m.files[0].name),
        (true, n) => format!("Shared {n} files"),
    }
}

/// Where a click on the notification leads: the message, or its thread.
pub fn href(m: &Message) -> String {
    format!("/c/{}/{}", m.channel, m.thread_seq.unwrap_or(m.seq))
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
