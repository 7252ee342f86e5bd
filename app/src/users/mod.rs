//! The member directory: `users.list` and `users.info`.
//!
//! "User" ids in the API are member ids (an account inside one workspace), as in
//! Slack. A member can only ever see members of its own workspace; any other id
//! is `user_not_found`.

#[cfg(feature = "ssr")]
pub mod actions;
pub mod api;
#[cfg(feature = "ssr")]
pub mod photo;
pub mod photo_ui;
pub mod preferences_ui;
#[cfg(feature = "ssr")]
pub mod queries;
pub mod settings_ui;
pub mod ui;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::auth::Role;

/// A member as other members see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberInfo {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    pub title: String,
    /// Hidden from guests, as in Slack.
    pub email: Option<String>,
    pub is_admin: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The custom status, when one is set and not expired.
    #[serde(default)]
    pub status: Option<Status>,
}

/// A custom status: an emoji and a few words, until it expires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub emoji: String,
    pub text: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
}

impl Status {
    /// Whether it still shows at `now`.
    pub fn live_at(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_none_or(|t| t > now)
    }
}

/// One member's live status (`users.statuses`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserStatus {
    pub user: Uuid,
    pub status: Status,
}

/// What a member says about themselves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub id: Uuid,
    /// The display name.
    pub name: String,
    pub full_name: String,
    pub title: String,
    /// An IANA zone such as `Europe/Berlin`, or empty.
    pub time_zone: String,
    /// `None` when unset or expired.
    pub status: Option<Status>,
    /// Moves on every photo change; 0 when there has never been one.
    #[serde(default)]
    pub avatar_version: i32,
    /// The photo (128 px; `/512` for the large one), when there is one.
    #[serde(default)]
    pub avatar_url: Option<String>,
}

/// Where a member's picture is served (their photo, or their initials),
/// with the version so that a change is loaded at once.
pub fn avatar_src(id: Uuid, size: u32, version: Option<i32>) -> String {
    match version {
        Some(v) if v > 0 => format!("/avatars/{id}/{size}?v={v}"),
        _ => format!("/avatars/{id}/{size}"),
    }
}

/// Longest status text and title.
pub const MAX_STATUS_LEN: usize = 100;
pub const MAX_TITLE_LEN: usize = 100;

/// Checks a time zone name: IANA-shaped (`Area/City`, `UTC`), or empty.
pub fn validate_time_zone(tz: &str) -> Result<String, crate::error::AppError> {
    let tz = tz.trim();
    let ok = tz.len() <= 64
        && tz.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'))
        && !tz.starts_with('/')
        && !tz.contains("//");
    if ok {
        Ok(tz.to_string())
    } else {
        Err(crate::error::AppError::InvalidArguments(
            "time_zone must be a zone name such as Europe/Berlin".into(),
        ))
    }
}

/// Initials for an avatar placeholder: first letters of up to two words.
pub fn initials(name: &str) -> String {
    let s: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    if s.is_empty() {
        "?".into()
    } else {
        s
    }
}

/// A stable hue (0–359) per member id, so an avatar keeps its colour.
pub fn avatar_hue(id: &Uuid) -> u16 {
    let b = id.as_bytes();
    (u16::from(b[14]) << 8 | u16::from(b[15])) % 360
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones_are_iana_shaped() {
        assert_eq!(validate_time_zone(" Europe/Berlin ").unwrap(), "Europe/Berlin");
        assert_eq!(validate_time_zone("").unwrap(), "");
        for bad in ["Europe Berlin", "<script>", "/etc/passwd", "a//b", &"x".repeat(65)] {
            assert!(validate_time_zone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_status_shows_until_it_expires() {
        let now = OffsetDateTime::now_utc();
        let s = |expires_at| Status { emoji: "🌴".into(), text: "Away".into(), expires_at };
        assert!(s(None).live_at(now));
        assert!(s(Some(now + time::Duration::minutes(1))).live_at(now));
        assert!(!s(Some(now - time::Duration::minutes(1))).live_at(now));
    }

    #[test]
    fn initials_take_two_words() {
        assert_eq!(initials("ada lovelace byron"), "AL");
        assert_eq!(initials("Zoë"), "Z");
        assert_eq!(initials("   "), "?");
    }
}
