//! Conversations: public and private channels, 1:1 and group direct messages,
//! membership and per-member read state.
//!
//! Authorization is scoping: every channel id from a client goes through
//! `server::access`, which joins membership. A private channel or a DM the
//! caller is not in is `channel_not_found`, exactly as if it did not exist;
//! public channels are readable by every non-guest member of the workspace.
//! Guests see only the channels they were invited to.

#[cfg(feature = "ssr")]
pub mod actions;
pub mod api;
mod details;
pub mod dm_ui;
#[cfg(feature = "ssr")]
mod events;
#[cfg(feature = "ssr")]
pub mod queries;
pub mod state;
pub mod ui;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{AppError, Missing, Rule};

/// Longest channel name.
pub const MAX_CHANNEL_NAME: usize = 80;
/// Longest topic or purpose.
pub const MAX_TOPIC: usize = 250;
/// Most people in a group DM, the caller included.
pub const MAX_GROUP_DM: usize = 9;

/// What kind of conversation a channel is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Public,
    Private,
    Dm,
    GroupDm,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Public => "public",
            ChannelKind::Private => "private",
            ChannelKind::Dm => "dm",
            ChannelKind::GroupDm => "group_dm",
        }
    }

    /// Parses the stored form (and the API's `types` values).
    pub fn parse(s: &str) -> Result<ChannelKind, AppError> {
        match s.trim() {
            "public" | "public_channel" => Ok(ChannelKind::Public),
            "private" | "private_channel" => Ok(ChannelKind::Private),
            "dm" | "im" => Ok(ChannelKind::Dm),
            "group_dm" | "mpim" => Ok(ChannelKind::GroupDm),
            other => Err(AppError::InvalidArguments(format!("unknown conversation type `{other}`"))),
        }
    }

    /// Direct messages have members instead of a name.
    pub fn is_dm(self) -> bool {
        matches!(self, ChannelKind::Dm | ChannelKind::GroupDm)
    }
}

/// A conversation as the caller sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    pub id: Uuid,
    /// The channel name; `null` for direct messages.
    pub name: Option<String>,
    pub kind: ChannelKind,
    pub is_private: bool,
    pub is_general: bool,
    pub is_archived: bool,
    pub topic: String,
    pub purpose: String,
    /// The name to show: `name` for channels, the other people's names for DMs.
    pub display_name: String,
    /// For direct messages, the other members (empty for notes to self).
    pub users: Vec<Uuid>,
    pub is_member: bool,
    pub member_count: i64,
    /// The highest seq in the conversation.
    pub latest_seq: i64,
    /// The caller's read marker (0 when not a member).
    pub last_read: i64,
    /// Whether the channel has messages from others after `last_read`.
    pub has_unread: bool,
    /// Unread messages that mention the caller (every unread message, in a DM).
    pub mention_count: i64,
    pub created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Channel {
    /// `#name` for channels, the people for DMs.
    pub fn label(&self) -> String {
        if self.kind.is_dm() {
            self.display_name.clone()
        } else {
            format!("#{}", self.display_name)
        }
    }
}

/// Normalises a channel name the way Slack does (trim, drop a leading `#`,
/// lowercase, spaces to dashes) and checks what is left.
pub fn validate_channel_name(value: &str) -> Result<String, AppError> {
    let v = value.trim().trim_start_matches('#').trim().to_lowercase().replace(' ', "-");
    let ok = !v.is_empty()
        && v.chars().count() <= MAX_CHANNEL_NAME
        && v.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(v)
    } else {
        Err(AppError::Invalid(Rule::InvalidName))
    }
}

/// Trims a topic or purpose and checks its length.
pub fn validate_topic(field: &str, value: &str) -> Result<String, AppError> {
    let v = value.trim();
    if v.chars().count() > MAX_TOPIC {
        return Err(AppError::InvalidArguments(format!("{field} must be at most {MAX_TOPIC} characters")));
    }
    if v.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::InvalidArguments(format!("{field} must not contain control characters")));
    }
    Ok(v.to_string())
}

/// Parses an id from the client. Anything that is not an id names no channel
/// the caller can see, so it is `channel_not_found` like any other.
pub fn parse_channel_id(s: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(s.trim()).map_err(|_| AppError::NotFound(Missing::Channel))
}

/// Parses member ids from the client; a malformed one is `user_not_found`.
pub fn parse_user_ids(ids: &[String]) -> Result<Vec<Uuid>, AppError> {
    ids.iter().map(|s| Uuid::parse_str(s.trim()).map_err(|_| AppError::NotFound(Missing::User))).collect()
}

/// Parses the API's comma-separated `types`; empty means public and private.
pub fn parse_types(types: Option<&str>) -> Result<Vec<ChannelKind>, AppError> {
    let t = types.map(str::trim).filter(|t| !t.is_empty()).unwrap_or("public,private");
    let mut out = Vec::new();
    for part in t.split(',') {
        let k = ChannelKind::parse(part)?;
        if !out.contains(&k) {
            out.push(k);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_are_normalised_like_slack() {
        assert_eq!(validate_channel_name(" #Design Team ").unwrap(), "design-team");
        assert_eq!(validate_channel_name("ops_2").unwrap(), "ops_2");
        assert!(validate_channel_name(&"a".repeat(80)).is_ok());
        for bad in ["", "#", &"a".repeat(81), "<script>", "naïve", "a.b", "a/b"] {
            assert_eq!(validate_channel_name(bad).unwrap_err().code(), "invalid_name", "{bad}");
        }
    }

    #[test]
    fn types_default_to_channels_and_accept_slack_aliases() {
        assert_eq!(parse_types(None).unwrap(), [ChannelKind::Public, ChannelKind::Private]);
        assert_eq!(parse_types(Some("im, mpim,dm")).unwrap(), [ChannelKind::Dm, ChannelKind::GroupDm]);
        assert!(parse_types(Some("public,bogus")).is_err());
    }

    #[test]
    fn topics_are_bounded() {
        assert_eq!(validate_topic("topic", "  hi ").unwrap(), "hi");
        assert!(validate_topic("topic", &"x".repeat(251)).is_err());
    }
}
