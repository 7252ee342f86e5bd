//! Realtime: the WebSocket protocol shared by the server and the WASM client,
//! the server's event hub and bus, presence, and the browser's socket client.
//!
//! Why one module for both sides: the frames are one serde-tagged enum
//! ([`Event`] for what happened, [`Control`] for the connection itself), so
//! the server cannot send a frame the client does not know how to read.
//! `docs/realtime.md` documents the same frames for other clients.

pub mod api;
mod apply;
#[cfg(feature = "ssr")]
pub mod bus;
#[cfg(feature = "ssr")]
pub mod caps;
#[cfg(feature = "hydrate")]
pub mod client;
#[cfg(feature = "ssr")]
pub mod frames;
#[cfg(feature = "ssr")]
pub mod hub;
#[cfg(feature = "ssr")]
pub mod presence;
#[cfg(feature = "ssr")]
pub mod redis_bus;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "hydrate")]
pub mod socket;
pub mod sync;
#[cfg(feature = "ssr")]
pub mod tracker;
pub mod typing;
pub mod ui;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::messages::Message;

/// The protocol version, sent in `hello`. Bumped on incompatible changes.
pub const PROTOCOL_VERSION: u32 = 1;

/// Largest client frame the server reads; larger ones close with 1009.
pub const MAX_CLIENT_FRAME: usize = 16 * 1024;

/// The shortest interval between two `typing` frames for one conversation.
pub const TYPING_INTERVAL_SECS: u64 = 3;
/// How long a typing indicator stays without a refresh.
pub const TYPING_EXPIRY_SECS: u64 = 6;

/// How long the browser waits before reconnect attempt `attempt` (1, 2, …):
/// exponential from 0.5 s, capped at 30 s, times a jitter factor in
/// [0.5, 1.5) from `random01` ∈ [0, 1), so that clients dropped together do
/// not all come back at the same instant.
pub fn backoff_ms(attempt: u32, random01: f64) -> u64 {
    let base = (500.0 * 2f64.powi(attempt.clamp(1, 16) as i32 - 1)).min(30_000.0);
    (base * (0.5 + random01.clamp(0.0, 1.0))) as u64
}

/// WebSocket close codes the server uses (besides 1000/1001/1009/1011).
pub mod close {
    /// The client sent something that is not a frame of this protocol.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// The client sent frames faster than its budget allows.
    pub const POLICY_VIOLATION: u16 = 1008;
    /// A frame over [`super::MAX_CLIENT_FRAME`].
    pub const TOO_BIG: u16 = 1009;
    /// The server is shutting down; reconnect (to another node).
    pub const GOING_AWAY: u16 = 1001;
    /// The session or account is no longer valid: do not reconnect, sign in.
    pub const AUTH_REVOKED: u16 = 4001;
    /// The client fell behind (its queue filled): reload state, then resume.
    pub const RESYNC_REQUIRED: u16 = 4008;
    /// No `resume` frame arrived in time after connecting.
    pub const RESUME_TIMEOUT: u16 = 4009;
}

/// A member's presence as others see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Offline,
    Idle,
    Online,
}

impl Presence {
    pub fn as_str(self) -> &'static str {
        match self {
            Presence::Offline => "offline",
            Presence::Idle => "idle",
            Presence::Online => "online",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "offline" => Some(Presence::Offline),
            "idle" => Some(Presence::Idle),
            "online" => Some(Presence::Online),
            _ => None,
        }
    }
}

/// The parts of a channel every member may see, sent when it changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelSummary {
    pub id: Uuid,
    pub name: Option<String>,
    pub is_private: bool,
    pub is_dm: bool,
    pub is_archived: bool,
    pub topic: String,
    pub purpose: String,
}

/// Something that happened, as delivered to every socket allowed to see it.
/// The sender's own sockets receive its events too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A new message or thread reply (`message.thread_seq` set). Carries the
    /// sender's `client_msg_id`, so its optimistic copy can be replaced.
    MessageCreated {
        message: Message,
    },
    MessageUpdated {
        message: Message,
    },
    MessageDeleted {
        channel: Uuid,
        seq: i64,
        thread_seq: Option<i64>,
    },
    /// The retention job deleted these messages (roots with their replies)
    /// for good: open pages drop them.
    HistoryTrimmed {
        channel: Uuid,
        seqs: Vec<i64>,
    },
    ReactionAdded {
        channel: Uuid,
        seq: i64,
        reaction: String,
        emoji: String,
        user: Uuid,
        user_name: String,
    },
    ReactionRemoved {
        channel: Uuid,
        seq: i64,
        reaction: String,
        emoji: String,
        user: Uuid,
    },
    /// A thread's root changed because a reply arrived.
    ThreadReply {
        channel: Uuid,
        thread_seq: i64,
        reply_count: i32,
        #[serde(with = "time::serde::rfc3339::option")]
        last_reply_at: Option<OffsetDateTime>,
        user: Uuid,
    },
    ChannelCreated {
        channel: ChannelSummary,
    },
    ChannelUpdated {
        channel: ChannelSummary,
    },
    ChannelArchived {
        channel: Uuid,
        archived: bool,
    },
    MemberJoined {
        channel: Uuid,
        user: Uuid,
    },
    MemberLeft {
        channel: Uuid,
        user: Uuid,
    },
    /// The caller (in another tab) read up to `seq`.
    ReadMarker {
        channel: Uuid,
        seq: i64,
    },
    /// The member changed their notification preferences (to the member's
    /// own sockets): the whole new preferences.
    NotifyPrefsChanged {
        prefs: crate::notify::Prefs,
    },
    /// The member followed or unfollowed a thread (to their own sockets).
    ThreadFollow {
        channel: Uuid,
        thread_seq: i64,
        following: bool,
    },
    Typing {
        channel: Uuid,
        thread_seq: Option<i64>,
        user: Uuid,
        user_name: String,
    },
    Presence {
        user: Uuid,
        presence: Presence,
        manual_away: bool,
    },
    /// A member's role changed, or they were deactivated or reactivated
    /// (to the workspace).
    MemberUpdated {
        user: Uuid,
        role: crate::auth::Role,
        deactivated: bool,
    },
    /// A member changed their name, title or status (to the workspace).
    ProfileUpdated {
        profile: crate::users::Profile,
    },
    /// An admin changed the workspace's name or rules (to the workspace), so
    /// that open pages show the right name and controls.
    WorkspaceUpdated {
        name: String,
        rules: crate::core::rules::Rules,
        #[serde(default)]
        icon_version: i32,
    },
    /// Credentials of this member were revoked (to the member's own topic,
    /// never forwarded to clients): each socket opened with one of them, or
    /// every socket when `all`, closes with 4001.
    AuthRevoked {
        #[serde(default)]
        sessions: Vec<Uuid>,
        #[serde(default)]
        tokens: Vec<Uuid>,
        #[serde(default)]
        all: bool,
    },
}

impl Event {
    /// The channel and seq of a new message, for gap and duplicate checks.
    pub fn message_seq(&self) -> Option<(Uuid, i64)> {
        match self {
            Event::MessageCreated { message } => Some((message.channel, message.seq)),
            _ => None,
        }
    }

    /// Whether a socket opened with `credential` must close on this event.
    pub fn revokes(&self, credential: Option<Uuid>) -> bool {
        match self {
            Event::AuthRevoked { sessions, tokens, all } => {
                *all || credential.is_some_and(|c| sessions.contains(&c) || tokens.contains(&c))
            }
            _ => false,
        }
    }
}

/// An event as it goes over the wire: the event's own fields, plus, for the
/// events of a channel, the channel's seq once the change was committed.
///
/// Seqs have no gaps (see `messages`), so a client that knows a channel up to
/// seq `n` and then sees `channel_seq` (or a new message's `seq`) above
/// `n + 1` knows it missed a message, and fetches the range instead of
/// trusting that nothing was dropped ([`Stamped::gap`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stamped {
    #[serde(flatten)]
    pub event: Event,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_seq: Option<i64>,
}

impl Stamped {
    /// An event with no channel seq (presence, typing).
    pub fn plain(event: Event) -> Stamped {
        Stamped { event, channel_seq: None }
    }

    /// Whether this event shows that messages of its channel were missed by
    /// a client whose newest seq there is `known`: a new message more than
    /// one past it, or any other event committed after a newer message.
    pub fn gap(&self, known: i64) -> bool {
        match &self.event {
            Event::MessageCreated { message } => message.seq > known + 1,
            _ => self.channel_seq.is_some_and(|s| s > known),
        }
    }
}

/// Frames about the connection itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Control {
    /// First frame from the server. Nothing is delivered until the client
    /// answers with `resume`.
    Hello {
        version: u32,
        user: Uuid,
        workspace: Uuid,
        heartbeat_secs: u64,
    },
    /// Replay is done: `replayed` messages were sent from history; live
    /// events follow.
    Resumed {
        replayed: u64,
    },
    Pong {
        id: Option<u64>,
    },
    /// The client fell behind; the socket closes with 4008. Reload, then
    /// reconnect and resume.
    ResyncRequired {
        reason: String,
    },
    /// A frame was refused; the connection stays open unless a close follows.
    Error {
        code: String,
        message: String,
    },
}

/// A frame from the server: an event or a control frame. (Frames are
/// parsed one at a time and never stored, so the size gap between the
/// variants costs nothing worth a box.)
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ServerFrame {
    Event(Stamped),
    Control(Control),
}

/// A frame from the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// For every channel the client holds, the last seq it has. The server
    /// replays what is newer, then goes live with nothing lost or repeated.
    Resume {
        #[serde(default)]
        channels: HashMap<Uuid, i64>,
    },
    Ping {
        #[serde(default)]
        id: Option<u64>,
    },
    /// "I am typing here"; at most one every 3 s per conversation.
    Typing {
        channel: Uuid,
        #[serde(default)]
        thread_seq: Option<i64>,
    },
    /// Input activity (`active: true`), or the tab went to the background.
    Activity { active: bool },
}

/// What `rtm.connect` returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectReply {
    pub url: String,
}

/// One member's presence, as `users.getPresence` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PresenceInfo {
    pub user: Uuid,
    pub presence: Presence,
    pub manual_away: bool,
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
