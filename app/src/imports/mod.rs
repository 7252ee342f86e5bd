//! Slack import: a team's whole history from a Slack export zip, from the
//! browser (`/admin/import`), with a dry run first.
//!
//! - [`read`]: the zip and Slack's JSON shapes, read leniently, with every
//!   problem located by file and line.
//! - [`mrkdwn`]: Slack's markup to ThreadSpace's markdown.
//! - [`model`]: one conversation's messages as ThreadSpace will store them
//!   (authors, threads, reactions, files, system lines), shared by the dry
//!   run and the import so that the report's counts are what gets stored.
//! - [`people`], [`write`]: the import itself, in large transactions of
//!   multi-row inserts; every imported object is keyed by its Slack id (people
//!   and conversations in `import_person` / `import_conversation`, messages by
//!   `slack:<ts>` as their `client_msg_id`), so importing twice or resuming
//!   after a crash creates nothing twice.
//! - [`job`]: the background jobs (dry run and import) with progress, a
//!   heartbeat, cancel, and resume on any node after a restart.
//!
//! Live clients see imported channels appear (one `channel_created` per
//! conversation when it is complete); messages are never announced one by
//! one, nobody is notified, and the audit log records the import and its
//! report's totals.

pub mod api;
#[cfg(feature = "ssr")]
pub mod avatars;
#[cfg(feature = "ssr")]
pub mod convert;
#[cfg(feature = "ssr")]
pub mod job;
#[cfg(feature = "ssr")]
pub mod model;
#[cfg(feature = "ssr")]
pub mod mrkdwn;
#[cfg(feature = "ssr")]
pub mod people;
#[cfg(feature = "ssr")]
pub mod queries;
#[cfg(feature = "ssr")]
pub mod read;
pub mod report_ui;
#[cfg(feature = "ssr")]
pub mod rows;
#[cfg(feature = "ssr")]
pub mod run;
#[cfg(feature = "ssr")]
pub mod sample;
pub mod ui;
#[cfg(feature = "ssr")]
pub mod write;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// The most problems a report lists (the total is always counted).
pub const MAX_PROBLEMS: usize = 1000;

/// Where an import is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Import {
    pub id: Uuid,
    pub file_name: String,
    pub size: i64,
    pub by: Option<String>,
    /// `uploaded`, `checking`, `checked`, `importing`, `done`, `failed`,
    /// `cancelled`.
    pub status: String,
    /// Whether channels whose name exists already are merged into them
    /// (otherwise they are imported under a new name).
    pub merge_channels: bool,
    pub conversations_total: i32,
    pub conversations_done: i32,
    pub messages_total: i64,
    pub messages_done: i64,
    pub files_total: i64,
    pub files_done: i64,
    pub error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    /// Whether a dry-run report exists.
    pub has_report: bool,
}

impl Import {
    /// Progress from 0 to 100 of the running step (or of the import).
    pub fn percent(&self) -> u32 {
        if self.status == "done" || self.status == "checked" {
            return 100;
        }
        let (done, total) = if self.messages_total > 0 {
            (self.messages_done, self.messages_total)
        } else {
            (self.conversations_done as i64, self.conversations_total as i64)
        };
        if total <= 0 {
            return 0;
        }
        ((done.max(0) * 100 / total) as u32).min(99)
    }

    /// Whether a job is working on it now.
    pub fn is_running(&self) -> bool {
        matches!(self.status.as_str(), "checking" | "importing")
    }
}

/// Something wrong in the export: where, and what was done about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub file: String,
    pub line: Option<u64>,
    pub message: String,
}

impl Problem {
    pub fn new(file: &str, line: Option<u64>, message: String) -> Problem {
        Problem { file: file.to_string(), line, message }
    }
}

/// What the dry run found, and what the import will store.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Report {
    pub people: People,
    pub conversations: Vec<ConversationReport>,
    pub totals: Counts,
    pub problems: Vec<Problem>,
    pub problems_total: u64,
    /// Authors and reactors referenced but not in `users.json`: imported as
    /// deactivated people named after their id.
    #[serde(default)]
    pub missing_people: Vec<String>,
    /// Bots (by `bot_id`, or `username` when there is none) and their names.
    #[serde(default)]
    pub bots: Vec<(String, String)>,
}

/// The people of the export.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct People {
    /// In `users.json`.
    pub listed: u64,
    /// Matched to someone already in the workspace by email.
    pub matched: u64,
    /// New, created deactivated with no password.
    pub new: u64,
    /// Deleted in Slack.
    pub deleted: u64,
    pub admins: u64,
    pub guests: u64,
    pub bots: u64,
    /// Referenced but not listed.
    pub missing: u64,
    /// With a profile picture in the zip.
    #[serde(default)]
    pub avatars: u64,
}

/// What a conversation brings, or all of them together.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Counts {
    pub conversations: u64,
    /// Rows of history: messages, thread replies and system lines.
    pub messages: u64,
    /// Messages with at least one reply.
    pub threads: u64,
    pub replies: u64,
    pub reactions: u64,
    /// Files attached from the zip.
    pub files: u64,
    /// Files not in the zip: a placeholder with the name, size and link.
    pub files_missing: u64,
    /// Joins, leaves, topic changes and the like.
    pub system: u64,
}

impl Counts {
    pub fn add(&mut self, o: &Counts) {
        self.conversations += o.conversations;
        self.messages += o.messages;
        self.threads += o.threads;
        self.replies += o.replies;
        self.reactions += o.reactions;
        self.files += o.files;
        self.files_missing += o.files_missing;
        self.system += o.system;
    }
}

/// One conversation in the report.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ConversationReport {
    pub slack_id: String,
    /// `public`, `private`, `dm` or `group_dm`.
    pub kind: String,
    /// The name in Slack (DMs: their people).
    pub name: String,
    /// `new`, `merge` (into the existing channel of that name), `rename`
    /// (a channel of that name exists: imported as `target`), or `again`
    /// (imported before: only what is missing is added).
    pub action: String,
    /// The ThreadSpace channel name it goes to.
    pub target: Option<String>,
    pub members: u64,
    pub archived: bool,
    pub counts: Counts,
}

/// The path of the downloadable JSON report.
pub fn report_path(id: Uuid) -> String {
    format!("/imports/{id}/report.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_follows_messages_then_conversations() {
        let mut i = Import {
            id: Uuid::nil(),
            file_name: "x.zip".into(),
            size: 1,
            by: None,
            status: "importing".into(),
            merge_channels: false,
            conversations_total: 4,
            conversations_done: 1,
            messages_total: 0,
            messages_done: 0,
            files_total: 0,
            files_done: 0,
            error: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
            finished_at: None,
            has_report: true,
        };
        assert_eq!(i.percent(), 25);
        i.messages_total = 1000;
        i.messages_done = 500;
        assert_eq!(i.percent(), 50);
        i.messages_done = 1000;
        assert_eq!(i.percent(), 99);
        i.status = "done".into();
        assert_eq!(i.percent(), 100);
    }
}
