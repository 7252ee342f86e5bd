//! Messages: sending with idempotent retries, editing, deleting (tombstones),
//! threads, reactions, and reading history by seq.
//!
//! Invariants:
//! - every message has a per-channel `seq`, handed out by incrementing
//!   `channel.last_seq` inside the insert transaction, so seqs have no gaps
//!   and no duplicates even under concurrent sends (a rolled-back send gives
//!   its seq back);
//! - a retry with the same `client_msg_id` returns the original message;
//! - text is stored as typed and rendered once, at write time, to sanitised
//!   HTML (markdown, mentions, links, emoji); raw HTML is never rendered.

#[cfg(feature = "ssr")]
pub mod actions;
pub mod api;
#[cfg(feature = "ssr")]
pub mod markdown;
#[cfg(feature = "ssr")]
pub mod queries;
#[cfg(feature = "ssr")]
pub mod reactions;
pub mod ui;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{AppError, Rule};

/// Longest message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 40_000;
/// Largest page of history.
pub const MAX_HISTORY_PAGE: i64 = 200;

/// One message as clients see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub channel: Uuid,
    pub seq: i64,
    pub user: Uuid,
    pub user_name: String,
    /// The author was deactivated: their messages stay, with a marker.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub user_deactivated: bool,
    /// The text as typed (empty once deleted).
    pub text: String,
    /// The text rendered to sanitised HTML.
    pub html: String,
    /// For replies, the seq of the thread's root.
    pub thread_seq: Option<i64>,
    pub also_in_channel: bool,
    pub reply_count: i32,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_reply_at: Option<OffsetDateTime>,
    pub reactions: Vec<Reaction>,
    pub mentions: Vec<Uuid>,
    /// `@channel` or `@here`.
    pub mentions_all: bool,
    pub client_msg_id: Option<String>,
    pub is_deleted: bool,
    /// Files shared with the message (none once it is deleted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<crate::files::FileInfo>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub edited_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Message {
    /// Whether this message mentions `me` (directly or with @channel/@here).
    pub fn mentions_me(&self, me: Uuid) -> bool {
        self.user != me && (self.mentions_all || self.mentions.contains(&me))
    }

    /// A line the Slack import kept for a join, a leave, a topic change and
    /// the like (its key is `slack!<ts>`): shown small, as a system line.
    pub fn is_system(&self) -> bool {
        self.client_msg_id.as_deref().is_some_and(|k| k.starts_with("slack!"))
    }

    /// Turns the message into its tombstone, as the server stores it.
    pub fn tombstone(&mut self) {
        self.is_deleted = true;
        self.text.clear();
        self.html.clear();
        self.reactions.clear();
        self.files.clear();
    }

    /// Counts `user`'s reaction with `emoji`; `false` if it was already there.
    pub fn add_reaction(&mut self, name: &str, emoji: &str, user: Uuid, user_name: &str) -> bool {
        match self.reactions.iter_mut().find(|r| r.emoji == emoji) {
            Some(r) if r.users.contains(&user) => false,
            Some(r) => {
                r.count += 1;
                r.users.push(user);
                r.names.push(user_name.to_string());
                true
            }
            None => {
                self.reactions.push(Reaction {
                    name: name.to_string(),
                    emoji: emoji.to_string(),
                    count: 1,
                    users: vec![user],
                    names: vec![user_name.to_string()],
                });
                true
            }
        }
    }

    /// Takes `user`'s reaction with `emoji` away (the reaction goes at zero);
    /// `false` if they had none.
    pub fn remove_reaction(&mut self, emoji: &str, user: Uuid) -> bool {
        let Some(i) = self.reactions.iter().position(|r| r.emoji == emoji && r.users.contains(&user)) else {
            return false;
        };
        let r = &mut self.reactions[i];
        if let Some(j) = r.users.iter().position(|u| *u == user) {
            r.users.remove(j);
            if j < r.names.len() {
                r.names.remove(j);
            }
        }
        r.count -= 1;
        if r.count <= 0 {
            self.reactions.remove(i);
        }
        true
    }
}

/// One emoji on a message, with who used it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reaction {
    /// The emoji's shortcode (`thumbsup`), or the emoji itself when it has none.
    pub name: String,
    /// The emoji as unicode.
    pub emoji: String,
    pub count: i64,
    pub users: Vec<Uuid>,
    pub names: Vec<String>,
}

/// Checks message text: not blank, not over the limit.
pub fn validate_text(text: &str) -> Result<(), AppError> {
    validate_caption(text)?;
    if text.trim().is_empty() {
        return Err(AppError::Invalid(Rule::NoText));
    }
    Ok(())
}

/// Checks the text that goes with files: may be blank, not over the limit,
/// and no control characters but tab and line breaks (NUL cannot be stored,
/// and terminal escapes have no business in a chat).
pub fn validate_caption(text: &str) -> Result<(), AppError> {
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(AppError::Invalid(Rule::MsgTooLong));
    }
    if text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        return Err(AppError::InvalidArguments(
            "text must not contain control characters (tab and line breaks are fine)".into(),
        ));
    }
    Ok(())
}

/// Checks a client-generated idempotency key.
pub fn validate_client_msg_id(id: Option<&str>) -> Result<Option<String>, AppError> {
    match id.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) if s.len() <= 64 && s.chars().all(|c| c.is_ascii_graphic()) => Ok(Some(s.to_string())),
        Some(_) => Err(AppError::InvalidArguments(
            "client_msg_id must be at most 64 printable ASCII characters".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_must_be_present_and_bounded() {
        assert_eq!(validate_text("  \n").unwrap_err().code(), "no_text");
        assert!(validate_text(&"é".repeat(MAX_MESSAGE_CHARS)).is_ok());
        assert_eq!(validate_text(&"x".repeat(MAX_MESSAGE_CHARS + 1)).unwrap_err().code(), "msg_too_long");
    }

    #[test]
    fn client_msg_ids_are_short_printable_keys() {
        assert_eq!(validate_client_msg_id(Some(" abc ")).unwrap().as_deref(), Some("abc"));
        assert_eq!(validate_client_msg_id(Some("")).unwrap(), None);
        assert!(validate_client_msg_id(Some(&"x".repeat(65))).is_err());
        assert!(validate_client_msg_id(Some("a b")).is_err());
    }
}
