//! The Threads view: the threads a member follows (see `notify`: starting a
//! thread, replying in it, being mentioned in a reply, or "Follow thread"),
//! newest activity first, with the replies they have not read. Reading a
//! thread (opening it in the thread pane) moves its read marker with
//! `threads.mark`.

pub mod api;
#[cfg(feature = "ssr")]
pub mod queries;
pub mod ui;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// One followed thread, as the Threads view lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadItem {
    pub channel: Uuid,
    /// `#name` for channels, the other people's names for DMs.
    pub channel_label: String,
    pub thread_seq: i64,
    pub root_user: Uuid,
    pub root_user_name: String,
    /// The root's sanitised HTML (empty once deleted).
    pub root_html: String,
    pub root_deleted: bool,
    pub reply_count: i32,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_reply_at: Option<OffsetDateTime>,
    /// The newest reply's seq.
    pub latest_reply_seq: i64,
    /// Replies from others after the member's read marker.
    pub unread: i64,
}

/// Most threads one `threads.list` call returns.
pub const MAX_THREADS_PAGE: i64 = 100;
