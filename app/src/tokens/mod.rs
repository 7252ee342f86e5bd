//! Personal API tokens for integrations: `Authorization: Bearer tsp_...`.
//!
//! A token acts as the member who made it, in that member's workspace, with the
//! member's current role. Only its SHA-256 is stored; the first characters are
//! kept in clear so people can tell tokens apart.

#[cfg(feature = "ssr")]
pub mod actions;
pub mod api;
#[cfg(feature = "ssr")]
pub mod queries;
pub mod ui;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// Longest allowed validity; `None` (no expiry) is also allowed.
pub const MAX_EXPIRES_IN_DAYS: i64 = 365 * 2;

/// A token as `tokens.list` shows it: never the secret itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: Uuid,
    pub label: String,
    pub prefix: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
}
