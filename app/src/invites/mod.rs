//! Invite links: an admin creates a link with an expiry, a use limit and a
//! role; whoever opens it can join the workspace until it expires, runs out of
//! uses or is revoked. Only a hash of the link's token is stored, so a link can
//! be shown exactly once.

#[cfg(feature = "ssr")]
pub mod actions;
pub mod api;
pub mod email_ui;
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
    /// Where it was sent, for an invite by email (one address, one use).
    #[serde(default)]
    pub email: Option<String>,
}

/// What the invite page shows before anyone joins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitePreview {
    pub workspace_name: String,
    pub inviter: String,
    pub role: Role,
    pub status: InviteStatus,
    /// The address an invite by email was sent to (it must be used).
    #[serde(default)]
    pub email: Option<String>,
}

/// The email domains a sign-up domain list accepts, as an admin types
/// them (`example.com, @Example.org`): lowercased, without `@`, each a
/// plausible domain, at most 50.
pub fn parse_domains(text: &str) -> Result<Vec<String>, crate::error::AppError> {
    let mut out: Vec<String> = Vec::new();
    for d in text.split(|c: char| c == ',' || c.is_whitespace()).filter(|d| !d.is_empty()) {
        let d = d.trim_start_matches('@').to_ascii_lowercase();
        let ok = d.len() <= 253
            && d.contains('.')
            && d.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !ok {
            return Err(crate::error::AppError::InvalidArguments(format!("{d:?} is not an email domain")));
        }
        if !out.contains(&d) {
            out.push(d);
        }
    }
    if out.len() > 50 {
        return Err(crate::error::AppError::InvalidArguments("at most 50 sign-up domains".into()));
    }
    Ok(out)
}

/// Whether `email` may use a link invite, given the allowed `domains`
/// (none: anyone).
pub fn domain_allowed(email: &str, domains: &[String]) -> bool {
    let domain = email.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()).unwrap_or_default();
    domains.is_empty() || domains.contains(&domain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    #[test]
    fn domains_are_read_as_typed_and_checked_exactly() {
        assert_eq!(parse_domains("Example.com, @acme.io\nexample.com").unwrap(), ["example.com", "acme.io"]);
        assert!(parse_domains("localhost").is_err());
        assert!(parse_domains("-bad.com").is_err());
        let allowed = parse_domains("acme.io").unwrap();
        assert!(domain_allowed("Ann@ACME.io", &allowed));
        assert!(!domain_allowed("ann@evil-acme.io", &allowed));
        assert!(!domain_allowed("ann@acme.io.evil.com", &allowed));
        assert!(domain_allowed("anyone@x.org", &[]));
    }

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
