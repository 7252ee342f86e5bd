//! Running a workspace: the admin pages under `/admin` and the `admin.*`
//! Web API behind them.
//!
//! Only owners and admins reach any of it. Everyone else, a member or guest
//! of this workspace or anyone else, gets exactly what a method or page that
//! does not exist answers (`unknown_method`, a 404 page), so the admin
//! surface cannot even be probed.
//!
//! Every change is an action in [`actions`]: one `Tx` that writes, audits
//! and emits. Deactivating someone revokes their sessions and tokens and
//! emits `AuthRevoked`, which closes their sockets on every node with 4001.

#[cfg(feature = "ssr")]
pub mod actions;
pub mod api;
#[cfg(feature = "ssr")]
pub mod channels;
#[cfg(feature = "ssr")]
pub mod queries;
pub mod ui;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::auth::{Role, SessionInfo};
use crate::tokens::TokenInfo;

/// A member as the admin pages show them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminMember {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub title: String,
    pub deactivated: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The latest use of any of their sessions or tokens.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_active_at: Option<OffsetDateTime>,
}

/// Which members `admin.users.list` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    All,
    Active,
    Deactivated,
}

/// One member with what signs them in, for the member page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberDetail {
    pub member: AdminMember,
    pub sessions: Vec<SessionInfo>,
    pub tokens: Vec<TokenInfo>,
}

/// What a deactivation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ended {
    pub sessions: usize,
    pub tokens: usize,
}

/// The admin overview: counts and health.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Overview {
    pub members_active: i64,
    pub members_deactivated: i64,
    pub guests: i64,
    pub admins: i64,
    pub channels_public: i64,
    pub channels_private: i64,
    pub channels_archived: i64,
    pub messages: i64,
    pub storage_bytes: i64,
    pub health: Vec<Health>,
}

/// One dependency's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

/// A channel as the admin pages show it: never its content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminChannel {
    pub id: Uuid,
    pub name: String,
    pub is_private: bool,
    pub is_general: bool,
    pub is_default: bool,
    pub is_archived: bool,
    pub member_count: i32,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_message_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: Option<Uuid>,
    pub actor_name: Option<String>,
    pub action: String,
    pub detail: serde_json::Value,
}

/// The kinds of audit entry, for the filter: (stored action, label).
pub const AUDIT_KINDS: &[(&str, &str)] = &[
    ("auth.signed_in", "Signed in"),
    ("auth.sign_in_failed", "Failed sign-in"),
    ("auth.signed_out", "Signed out"),
    ("auth.password_changed", "Password changed"),
    ("session.revoked", "Session ended"),
    ("member.role_changed", "Role changed"),
    ("member.deactivated", "Deactivated"),
    ("member.reactivated", "Reactivated"),
    ("ownership.transferred", "Ownership transferred"),
    ("token.created", "Token created"),
    ("token.revoked", "Token revoked"),
    ("invite.created", "Invite created"),
    ("invite.revoked", "Invite revoked"),
    ("invite.accepted", "Invite used"),
    ("channel.archive", "Channel archived"),
    ("channel.unarchive", "Channel unarchived"),
    ("channel.rename", "Channel renamed"),
    ("channel.converted", "Channel converted"),
    ("channel.default_set", "Default channels changed"),
    ("auth.password_reset_requested", "Password reset asked"),
    ("auth.password_reset", "Password reset"),
    ("workspace.created", "Workspace created"),
    ("workspace.settings_changed", "Settings changed"),
    ("retention.changed", "Retention changed"),
    ("retention.channel_changed", "Channel retention changed"),
    ("retention.run", "Retention run"),
    ("export.started", "Export started"),
    ("import.uploaded", "Slack export uploaded"),
    ("import.started", "Slack import started"),
    ("import.cancelled", "Slack import cancelled"),
    ("import.finished", "Slack import finished"),
];

/// The label of an audit action (the action itself when it has none).
pub fn audit_label(action: &str) -> &str {
    AUDIT_KINDS.iter().find(|(a, _)| *a == action).map_or(action, |(_, l)| l)
}

/// One line about an audit entry's detail: who it was about and what
/// changed ("Bob: member → admin", "Chrome on Linux from 10.0.0.1").
pub fn audit_summary(d: &serde_json::Value) -> String {
    let s = |k: &str| d.get(k).and_then(|v| v.as_str()).filter(|v| !v.is_empty());
    let n = |k: &str| d.get(k).and_then(|v| v.as_i64());
    let mut parts: Vec<String> = Vec::new();
    if let Some(name) = s("user_name") {
        parts.push(name.to_string());
    }
    if let Some(name) = s("name") {
        parts.push(format!("#{name}"));
    }
    if let (Some(from), Some(to)) = (s("from"), s("to")) {
        parts.push(format!("{from} → {to}"));
    }
    if let Some(device) = s("device") {
        parts.push(device.to_string());
    }
    if let Some(ip) = s("ip") {
        parts.push(format!("from {ip}"));
    }
    if let Some(changed) = d.get("changed").and_then(|v| v.as_array()) {
        let names: Vec<&str> = changed.iter().filter_map(|v| v.as_str()).collect();
        parts.push(format!("changed {}", names.join(", ")));
    }
    for (k, what) in [("sessions", "session"), ("tokens", "token"), ("other_sessions_ended", "other session")]
    {
        if let Some(c) = n(k) {
            parts.push(format!("{c} {what}{} ended", if c == 1 { "" } else { "s" }));
        }
    }
    if let (Some(m), Some(f)) = (n("messages"), n("files")) {
        parts.push(format!("{m} messages and {f} files deleted"));
    }
    parts.join(" · ")
}

/// Bytes for people: `1.5 MB`.
pub fn format_bytes(n: i64) -> String {
    const UNITS: &[&str] = &["bytes", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} bytes")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_like_a_file_manager() {
        assert_eq!(format_bytes(0), "0 bytes");
        assert_eq!(format_bytes(1_500), "1.5 KB");
        assert_eq!(format_bytes(25_000_000), "25.0 MB");
    }

    #[test]
    fn audit_details_read_as_one_line() {
        let d = serde_json::json!({"user": "x", "user_name": "Bob", "from": "member", "to": "admin"});
        assert_eq!(audit_summary(&d), "Bob · member → admin");
        let d = serde_json::json!({"user_name": "Bob", "sessions": 2, "tokens": 1});
        assert_eq!(audit_summary(&d), "Bob · 2 sessions ended · 1 token ended");
        assert_eq!(audit_summary(&serde_json::json!({"ip": "10.0.0.1"})), "from 10.0.0.1");
        assert_eq!(audit_summary(&serde_json::json!({})), "");
        let d = serde_json::json!({"changed": ["name", "max_upload_bytes"], "from": "A", "to": "B"});
        assert_eq!(audit_summary(&d), "A → B · changed name, max_upload_bytes");
        let d = serde_json::json!({"status": "done", "channels": 2, "messages": 40, "files": 3});
        assert_eq!(audit_summary(&d), "40 messages and 3 files deleted");
        let d = serde_json::json!({"name": "ops", "from": "Follows the workspace", "to": "Keep everything"});
        assert_eq!(audit_summary(&d), "#ops · Follows the workspace → Keep everything");
    }

    #[test]
    fn every_kind_has_a_label_and_unknown_ones_show_as_is() {
        assert_eq!(audit_label("member.deactivated"), "Deactivated");
        assert_eq!(audit_label("something.new"), "something.new");
    }
}
