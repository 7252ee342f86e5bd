//! Notification preferences and the one rule that decides whether a message
//! notifies (issue 15).
//!
//! A member has a default ([`Level`]: everything, mentions and DMs only, or
//! nothing), keywords that count as mentions, and do-not-disturb (a snooze
//! until a time, and a daily quiet period in their own time zone). Each
//! conversation may override the default, or be muted: a muted conversation
//! is not bold in the sidebar and never notifies.
//!
//! The preferences are stored on the server (`member`, `channel_member`) so
//! they follow the member to every browser; changing them is a write with an
//! event to the member's own sockets, so every open tab applies the change at
//! once. [`rules::decide`] is pure so that it is unit-tested and shared by
//! every place that notifies.

pub mod api;
#[cfg(feature = "hydrate")]
pub mod browser;
#[cfg(feature = "ssr")]
pub mod missed;
pub mod push;
pub mod rules;
pub mod state;
#[cfg(feature = "ssr")]
pub mod store;
pub mod ui;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// How much notifies: the member's default, or a conversation's override.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Every new message.
    All,
    /// Direct messages, mentions (`@name`, `@here`, `@channel`) and keywords.
    #[default]
    Mentions,
    Nothing,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::All => "all",
            Level::Mentions => "mentions",
            Level::Nothing => "nothing",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "all" => Some(Level::All),
            "mentions" => Some(Level::Mentions),
            "nothing" => Some(Level::Nothing),
            _ => None,
        }
    }
}

/// A daily quiet period: minutes after midnight, in the member's time zone.
/// `start > end` wraps past midnight (22:00–08:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub start: u16,
    pub end: u16,
}

/// One conversation's override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelPref {
    pub channel: Uuid,
    pub muted: bool,
    /// `None` follows the member's default.
    pub level: Option<Level>,
}

/// Everything that decides a member's notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Prefs {
    pub level: Level,
    /// Lowercase words or phrases that count as mentions.
    pub keywords: Vec<String>,
    /// Do not disturb until then (a snooze).
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub dnd_until: Option<OffsetDateTime>,
    /// The daily quiet period, if any.
    #[serde(default)]
    pub schedule: Option<Schedule>,
    /// The member's time zone (IANA), for the schedule.
    #[serde(default)]
    pub time_zone: String,
    /// When to email DMs and mentions missed while no tab was open: `soon`
    /// (after 15 minutes), `hourly` or `never`.
    #[serde(default = "soon")]
    pub missed_mail: String,
    /// Only conversations that differ from the default: muted, or with a level.
    #[serde(default)]
    pub channels: Vec<ChannelPref>,
}

fn soon() -> String {
    "soon".into()
}

impl Prefs {
    /// This conversation's override, if it has one.
    pub fn channel(&self, id: Uuid) -> Option<&ChannelPref> {
        self.channels.iter().find(|c| c.channel == id)
    }

    pub fn is_muted(&self, id: Uuid) -> bool {
        self.channel(id).is_some_and(|c| c.muted)
    }
}

/// Most keywords a member may keep, and the longest one.
pub const MAX_KEYWORDS: usize = 50;
pub const MAX_KEYWORD_LEN: usize = 60;
