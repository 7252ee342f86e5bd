//! Accounts, sessions and who is calling.
//!
//! An *account* is a login identity (email + argon2id hash). A *member* is an
//! account inside one workspace, with a role. A browser session remembers the
//! account and the member it is currently acting as; an API token belongs to
//! one member. Either way, server code sees an [`Actor`].
//!
//! The validation helpers here are shared with the browser so that forms can
//! show the same message inline before anything is sent.

pub mod account_ui;
#[cfg(feature = "ssr")]
pub mod actions;
pub mod api;
pub mod limits;
#[cfg(feature = "ssr")]
pub mod logins;
#[cfg(feature = "ssr")]
pub mod passwords;
#[cfg(feature = "ssr")]
pub mod queries;
#[cfg(feature = "ssr")]
pub mod reset;
pub mod reset_ui;
#[cfg(feature = "ssr")]
pub mod secrets;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod signup;
pub mod ui;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;

pub use limits::{MAX_EMAIL_LEN, MAX_NAME_LEN, MAX_PASSWORD_LEN, MIN_PASSWORD_LEN};

/// A member's role in a workspace, from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Member,
    Guest,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Guest => "guest",
        }
    }

    /// Parses the stored form; unknown strings are an argument error.
    pub fn parse(s: &str) -> Result<Role, AppError> {
        match s {
            "owner" => Ok(Role::Owner),
            "admin" => Ok(Role::Admin),
            "member" => Ok(Role::Member),
            "guest" => Ok(Role::Guest),
            _ => Err(AppError::InvalidArguments(format!("unknown role `{s}`"))),
        }
    }

    /// Owners and admins manage invites and members.
    pub fn is_admin(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

/// How the caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthVia {
    Session,
    Token,
}

/// The authenticated caller: a live member of one workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    pub account_id: Uuid,
    pub member_id: Uuid,
    pub workspace_id: Uuid,
    pub role: Role,
    pub via: AuthVia,
    /// The sign-in session or API token the caller used, so that revoking
    /// it can close the sockets it opened (`None` for internal callers).
    #[serde(default)]
    pub credential: Option<Uuid>,
}

/// A sign-in session, as its owner (or an admin) sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub id: Uuid,
    /// "Chrome on Linux", from the user agent.
    pub device: String,
    pub ip: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: time::OffsetDateTime,
    /// The session this request came from.
    pub current: bool,
}

/// A short, human name for a user agent: browser and system.
pub fn device_label(user_agent: &str) -> String {
    let ua = user_agent;
    let browser = if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else if ua.is_empty() {
        return "Unknown device".into();
    } else {
        return "An app or script".into();
    };
    let system = if ua.contains("Android") {
        "Android"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("CrOS") {
        "ChromeOS"
    } else if ua.contains("Linux") {
        "Linux"
    } else {
        return browser.into();
    };
    format!("{browser} on {system}")
}

/// What `auth.test` answers: who am I, where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub user_id: Uuid,
    pub workspace_id: Uuid,
    pub role: Role,
    pub display_name: String,
    pub email: String,
    pub workspace_name: String,
    /// What the workspace's admins restricted, so that pages show only the
    /// controls the caller may use.
    #[serde(default)]
    pub rules: crate::core::rules::Rules,
}

/// Trims and checks a display or workspace name.
pub fn validate_name(field: &str, value: &str) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::InvalidArguments(format!("{field} must not be empty")));
    }
    if v.chars().count() > MAX_NAME_LEN {
        return Err(AppError::InvalidArguments(format!("{field} must be at most {MAX_NAME_LEN} characters")));
    }
    if v.chars().any(char::is_control) {
        return Err(AppError::InvalidArguments(format!("{field} must not contain control characters")));
    }
    if v.chars().any(crate::core::text::is_spoofing) {
        return Err(AppError::InvalidArguments(format!(
            "{field} must not contain invisible or direction-changing characters"
        )));
    }
    #[cfg(feature = "ssr")]
    if let Some(word) = crate::core::text::mixed_script_word(v) {
        return Err(AppError::InvalidArguments(format!(
            "{field} mixes alphabets within \"{word}\" (letters from one alphabet look like another's)"
        )));
    }
    Ok(v.to_string())
}

/// Trims, lowercases and sanity-checks an email address.
pub fn validate_email(value: &str) -> Result<String, AppError> {
    let v = value.trim().to_lowercase();
    let bad = || AppError::InvalidArguments("email is not a valid address".into());
    if v.is_empty() {
        return Err(AppError::InvalidArguments("email must not be empty".into()));
    }
    if v.len() > MAX_EMAIL_LEN {
        return Err(AppError::InvalidArguments(format!("email must be at most {MAX_EMAIL_LEN} characters")));
    }
    let (local, domain) = v.split_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || domain.len() < 3
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains('@')
        || v.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(bad());
    }
    Ok(v)
}

/// Checks password length; the hash never sees an out-of-range password.
pub fn validate_password(value: &str) -> Result<(), AppError> {
    let n = value.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(AppError::WeakPassword);
    }
    if n > MAX_PASSWORD_LEN {
        return Err(AppError::InvalidArguments(format!(
            "password must be at most {MAX_PASSWORD_LEN} characters"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(validate_name("name", "  Acme ").unwrap(), "Acme");
        assert_eq!(validate_name("name", "   ").unwrap_err().code(), "invalid_arguments");
        assert!(validate_name("name", &"x".repeat(81)).is_err());
        assert!(validate_name("name", &"é".repeat(80)).is_ok());
        assert!(validate_name("name", "a\u{0}b").is_err());
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(validate_email(" Alice@Example.COM ").unwrap(), "alice@example.com");
        for bad in ["", "alice", "alice@", "@x.io", "a@b", "a b@x.io", "a@x.io.", "a@@x.io"] {
            assert!(validate_email(bad).is_err(), "{bad:?} accepted");
        }
        assert!(validate_email(&format!("{}@x.io", "a".repeat(260))).is_err());
    }

    #[test]
    fn passwords_have_a_floor_and_a_ceiling() {
        assert_eq!(validate_password("short").unwrap_err(), AppError::WeakPassword);
        assert!(validate_password("long enough pw").is_ok());
        assert_eq!(
            validate_password(&"x".repeat(MAX_PASSWORD_LEN + 1)).unwrap_err().code(),
            "invalid_arguments"
        );
    }

    #[test]
    fn user_agents_get_short_names() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0 Safari/537.36";
        assert_eq!(device_label(chrome), "Chrome on Linux");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(device_label(safari), "Safari on iOS");
        assert_eq!(
            device_label("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0"),
            "Firefox on Windows"
        );
        assert_eq!(device_label("curl/8.0"), "An app or script");
        assert_eq!(device_label(""), "Unknown device");
    }

    #[test]
    fn roles_parse_and_rank() {
        assert_eq!(Role::parse("admin").unwrap(), Role::Admin);
        assert!(Role::parse("root").is_err());
        assert!(Role::Owner.is_admin() && Role::Admin.is_admin());
        assert!(!Role::Member.is_admin() && !Role::Guest.is_admin());
    }
}
