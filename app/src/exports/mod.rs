//! Workspace export: the whole workspace as a zip in the layout of a Slack
//! export (`users.json`, `channels.json`, `groups.json`, `dms.json`,
//! `mpims.json`, one folder per conversation with a JSON file per day) plus
//! the files, so that other tools (and ThreadSpace's own importer) read it.
//!
//! An admin starts it (`admin.export.start`); it is built in the
//! background into a temporary file, streamed conversation by conversation
//! (never the whole workspace in memory), then moved into the file store.
//! Private channels and direct messages are included only when an owner
//! chooses so, and the audit entry says which. Only the latest finished
//! export is kept: a newer one replaces it and its object is deleted.

pub mod api;
#[cfg(feature = "ssr")]
pub mod build;
#[cfg(feature = "ssr")]
pub mod job;
#[cfg(feature = "ssr")]
pub mod slack;
pub mod ui;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// One export, as the admin page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Export {
    pub id: Uuid,
    /// Who started it.
    pub by: Option<String>,
    pub include_private: bool,
    /// `running`, `done`, `failed`, `interrupted` (its node stopped) or
    /// `replaced` (a newer export took its place).
    pub status: String,
    pub conversations_total: i32,
    pub conversations_done: i32,
    pub messages: i64,
    pub files: i64,
    /// The zip's size once done.
    pub size: Option<i64>,
    pub error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    /// Where admins download it (when done).
    pub download_url: Option<String>,
}

impl Export {
    /// Progress from 0 to 100.
    pub fn percent(&self) -> u32 {
        if self.status == "done" {
            return 100;
        }
        if self.conversations_total <= 0 {
            return 0;
        }
        (self.conversations_done.max(0) as u32 * 100 / self.conversations_total as u32).min(99)
    }
}

/// The download path of an export.
pub fn download_path(id: Uuid) -> String {
    format!("/exports/{id}/threadspace-export.zip")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_reaches_100_only_when_done() {
        let mut e = Export {
            id: Uuid::nil(),
            by: None,
            include_private: false,
            status: "running".into(),
            conversations_total: 3,
            conversations_done: 3,
            messages: 0,
            files: 0,
            size: None,
            error: None,
            started_at: OffsetDateTime::UNIX_EPOCH,
            finished_at: None,
            download_url: None,
        };
        assert_eq!(e.percent(), 99);
        e.conversations_done = 1;
        assert_eq!(e.percent(), 33);
        e.status = "done".into();
        assert_eq!(e.percent(), 100);
        e.conversations_total = 0;
        assert_eq!(e.percent(), 100);
    }
}
