//! Message retention: keep everything, or delete messages (and their files)
//! older than N days, for the workspace and per channel.
//!
//! The policy is plain data on the workspace and channel rows; a background
//! job ([`job`]) applies it in batches on whichever node claims the
//! workspace, records each run, and announces what it removed as
//! `history_trimmed`, so open pages drop those messages. A thread is kept
//! whole while it is active: its root goes (with its replies) once the root
//! and its last reply are both past the cut, so no reply is ever left
//! without its root.

#[cfg(feature = "ssr")]
pub mod actions;
pub mod api;
#[cfg(feature = "ssr")]
pub mod job;
#[cfg(feature = "ssr")]
pub mod queries;
pub mod ui;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// The longest retention that can be chosen (100 years).
pub const MAX_DAYS: i32 = 36500;

/// A channel's own retention, which wins over the workspace's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum ChannelPolicy {
    /// Whatever the workspace does.
    Workspace,
    /// Keep everything, whatever the workspace does.
    Keep,
    /// Delete messages older than `days`.
    Days { days: i32 },
}

impl ChannelPolicy {
    /// As stored: null follows the workspace, 0 keeps everything.
    pub fn from_column(days: Option<i32>) -> ChannelPolicy {
        match days {
            None => ChannelPolicy::Workspace,
            Some(0) => ChannelPolicy::Keep,
            Some(days) => ChannelPolicy::Days { days },
        }
    }

    pub fn to_column(self) -> Option<i32> {
        match self {
            ChannelPolicy::Workspace => None,
            ChannelPolicy::Keep => Some(0),
            ChannelPolicy::Days { days } => Some(days),
        }
    }

    /// How many days this channel keeps, given the workspace's policy
    /// (`None`: forever).
    pub fn effective(self, workspace_days: Option<i32>) -> Option<i32> {
        match self {
            ChannelPolicy::Workspace => workspace_days,
            ChannelPolicy::Keep => None,
            ChannelPolicy::Days { days } => Some(days),
        }
    }

    /// What the admin page shows.
    pub fn label(self) -> String {
        match self {
            ChannelPolicy::Workspace => "Follows the workspace".into(),
            ChannelPolicy::Keep => "Keep everything".into(),
            ChannelPolicy::Days { days } => days_label(days),
        }
    }
}

/// "Delete after 30 days".
pub fn days_label(days: i32) -> String {
    format!("Delete after {days} day{}", if days == 1 { "" } else { "s" })
}

/// Whether a number of days may be chosen.
pub fn valid_days(days: i32) -> bool {
    (1..=MAX_DAYS).contains(&days)
}

/// A channel with a policy of its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelRetention {
    pub channel: Uuid,
    /// `#name`, or the people of a DM.
    pub name: String,
    pub policy: ChannelPolicy,
}

/// One run of the retention job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub id: Uuid,
    /// Who asked for it ("Run now"); `None` for the schedule.
    pub by: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    /// `running`, `done`, `failed` or `interrupted` (its node stopped).
    pub status: String,
    pub channels: i32,
    pub messages_deleted: i64,
    pub files_deleted: i64,
    pub error: Option<String>,
}

/// Everything `/admin/retention` shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Retention {
    /// `None`: keep everything.
    pub workspace_days: Option<i32>,
    /// Channels with a policy of their own, by name.
    pub channels: Vec<ChannelRetention>,
    /// The latest runs, newest first.
    pub runs: Vec<Run>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_policies_round_trip_and_win_over_the_workspace() {
        for p in [ChannelPolicy::Workspace, ChannelPolicy::Keep, ChannelPolicy::Days { days: 7 }] {
            assert_eq!(ChannelPolicy::from_column(p.to_column()), p);
        }
        assert_eq!(ChannelPolicy::Workspace.effective(Some(30)), Some(30));
        assert_eq!(ChannelPolicy::Workspace.effective(None), None);
        assert_eq!(ChannelPolicy::Keep.effective(Some(30)), None);
        assert_eq!(ChannelPolicy::Days { days: 7 }.effective(None), Some(7));
        assert_eq!(
            serde_json::to_value(ChannelPolicy::Days { days: 7 }).unwrap(),
            serde_json::json!({"mode": "days", "days": 7})
        );
        assert!(valid_days(1) && valid_days(MAX_DAYS) && !valid_days(0) && !valid_days(MAX_DAYS + 1));
    }
}
