//! Invite links: an admin creates a link with an expiry, a use limit and a
//! role; whoever opens it can join the workspace until it expires, runs out of
//! uses or is revoked. Only a hash of the link's token is stored, so a link can
//! be shown exactly once.

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

/// Longest allowed validity.
pub const MAX_EXPIRES_IN_HOURS: i64 = 24 * 30;
/// Most uses per link.
pub const MAX_USES: i32 = 1000;

/// Where an invite stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteStatus {
    Active,
    Expired,
    UsedUp,
    Revoked,
}

impl InviteStatus {
    /// Revocation wins over exhaustion, which wins over expiry: the most
    /// deliberate cause is the one worth telling.
    pub fn of(
        revoked: bool,
        uses: i32,
        max_uses: i32,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Self {
        if revoked {
            InviteStatus::Revoked
        } else if uses >= max_uses {
            InviteStatus::UsedUp
        } else if expires_at <= now {
            InviteStatus::Expired
        } else {
            InviteStatus::Active
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            InviteStatus::Active => "Active",
            InviteStatus::Expired => "Expired",
            InviteStatus::UsedUp => "Used up",
            InviteStatus::Revoked => "Revoked",
        }
    }
}

/// An invite as admins see it in `invites.list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteInfo {
    pub id: Uuid,
    pub role: Role,
    pub uses: i32,
    pub max_uses: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: String,
    pub status: InviteStatus,
}

/// What the invite page shows before anyone joins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitePreview {
    pub workspace_name: String,
    pub inviter: String,
    pub role: Role,
    pub status: InviteStatus,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    #[test]
    fn status_precedence() {
        let now = OffsetDateTime::now_utc();
        let later = now + Duration::hours(1);
        let earlier = now - Duration::hours(1);
        assert_eq!(InviteStatus::of(false, 0, 1, later, now), InviteStatus::Active);
        assert_eq!(InviteStatus::of(false, 0, 1, earlier, now), InviteStatus::Expired);
        assert_eq!(InviteStatus::of(false, 1, 1, earlier, now), InviteStatus::UsedUp);
        assert_eq!(InviteStatus::of(true, 1, 1, earlier, now), InviteStatus::Revoked);
    }
}
