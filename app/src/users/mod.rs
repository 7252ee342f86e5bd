//! The member directory: `users.list` and `users.info`.
//!
//! "User" ids in the API are member ids (an account inside one workspace), as in
//! Slack. A member can only ever see members of its own workspace; any other id
//! is `user_not_found`.

#[cfg(feature = "ssr")]
pub mod actions;
pub mod api;
#[cfg(feature = "ssr")]
pub mod queries;
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
    fn initials_take_two_words() {
        assert_eq!(initials("ada lovelace byron"), "AL");
        assert_eq!(initials("Zoë"), "Z");
        assert_eq!(initials("   "), "?");
    }
}
