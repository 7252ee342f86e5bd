//! Workspace settings (`/admin/settings`, `admin.settings.*`): the name, the
//! presence idle timeout, who may create and archive channels, who may
//! broadcast in large channels, and the upload limits.
//!
//! They live on the `workspace` row. The checks that depend on them
//! (channel creation and archiving, `@channel` in a send, uploads) read
//! them by primary key when they run, so a change applies to the next
//! request on every node; only the idle timeout waits for a socket's next
//! connection. A change is one audited action that announces
//! `workspace_updated` (name and rules) to the workspace, so open pages
//! show or hide their controls at once.

use serde::{Deserialize, Serialize};

use crate::core::rules::Rules;
use crate::error::AppError;
use crate::files::MAX_FILE_BYTES;

/// The smallest upload limit an admin may choose: 1 MB.
pub const MIN_UPLOAD_BYTES: i64 = 1024 * 1024;
/// The most blocked file types.
pub const MAX_BLOCKED_TYPES: usize = 50;

/// Everything `/admin/settings` edits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub name: String,
    /// Seconds without activity before someone shows as away (60–86,400).
    pub idle_after_secs: i32,
    pub rules: Rules,
    /// The largest file, in bytes (1 MB to 25 MB).
    pub max_upload_bytes: i64,
    /// File name extensions refused on upload, lowercase, without the dot.
    pub blocked_file_types: Vec<String>,
    /// Email domains an invite link accepts (empty: any address).
    #[serde(default)]
    pub signup_domains: Vec<String>,
    /// Read-only here (the icon is uploaded on its own,
    /// `admin.settings.setIcon`): whether there is one, and its version.
    #[serde(default)]
    pub has_icon: bool,
    #[serde(default)]
    pub icon_version: i32,
}

impl Settings {
    /// Checks and normalises what an admin sent.
    pub fn validated(mut self) -> Result<Settings, AppError> {
        self.name = crate::auth::validate_name("name", &self.name)?;
        if !(60..=86_400).contains(&self.idle_after_secs) {
            return Err(AppError::InvalidArguments("idle_after_secs must be between 60 and 86400".into()));
        }
        if self.rules.broadcast_admins_over.is_some_and(|n| !(0..=100_000).contains(&n)) {
            return Err(AppError::InvalidArguments(
                "broadcast_admins_over must be between 0 and 100000".into(),
            ));
        }
        if !(MIN_UPLOAD_BYTES..=MAX_FILE_BYTES as i64).contains(&self.max_upload_bytes) {
            return Err(AppError::InvalidArguments(format!(
                "max_upload_bytes must be between {MIN_UPLOAD_BYTES} and {MAX_FILE_BYTES}"
            )));
        }
        self.blocked_file_types = parse_types(&self.blocked_file_types.join(","))?;
        self.signup_domains = crate::invites::parse_domains(&self.signup_domains.join(","))?;
        Ok(self)
    }
}

/// Reads a list of file types as an admin types it ("exe, .bat  js"):
/// lowercase extensions without the dot, each once, in the order given.
pub fn parse_types(text: &str) -> Result<Vec<String>, AppError> {
    let mut out: Vec<String> = Vec::new();
    for t in text.split(|c: char| c == ',' || c.is_whitespace()).filter(|t| !t.is_empty()) {
        let t = t.trim_start_matches('.').to_ascii_lowercase();
        if t.is_empty() || t.len() > 16 || !t.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(AppError::InvalidArguments(format!(
                "blocked_file_types: {t:?} is not a file extension (letters and digits, at most 16)"
            )));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > MAX_BLOCKED_TYPES {
        return Err(AppError::InvalidArguments(format!("at most {MAX_BLOCKED_TYPES} blocked file types")));
    }
    Ok(out)
}

/// Whether a file name has one of the blocked extensions.
pub fn is_blocked(name: &str, blocked: &[String]) -> bool {
    let Some((_, ext)) = name.rsplit_once('.') else { return false };
    let ext = ext.to_ascii_lowercase();
    blocked.contains(&ext)
}

#[cfg(feature = "ssr")]
pub use server::*;

#[cfg(feature = "ssr")]
mod server {
    use sqlx::PgExecutor;
    use uuid::Uuid;

    use super::Settings;
    use crate::auth::Actor;
    use crate::core::ctx::Ctx;
    use crate::core::rules::{Rules, Who};
    use crate::db::audit;
    use crate::error::AppResult;
    use crate::realtime::bus::Topic;
    use crate::realtime::Event;

    #[derive(sqlx::FromRow)]
    struct Row {
        name: String,
        idle_after_secs: i32,
        who_creates_channels: String,
        who_archives_channels: String,
        broadcast_admins_over: Option<i32>,
        max_upload_bytes: i64,
        blocked_file_types: Vec<String>,
        signup_domains: Vec<String>,
        has_icon: bool,
        icon_version: i32,
    }

    impl From<Row> for Settings {
        fn from(r: Row) -> Settings {
            Settings {
                name: r.name,
                idle_after_secs: r.idle_after_secs,
                rules: Rules {
                    create_channels: Who::parse(&r.who_creates_channels),
                    archive_channels: Who::parse(&r.who_archives_channels),
                    broadcast_admins_over: r.broadcast_admins_over,
                },
                max_upload_bytes: r.max_upload_bytes,
                blocked_file_types: r.blocked_file_types,
                signup_domains: r.signup_domains,
                has_icon: r.has_icon,
                icon_version: r.icon_version,
            }
        }
    }

    const COLUMNS: &str = "name, idle_after_secs, who_creates_channels, who_archives_channels,
        broadcast_admins_over, max_upload_bytes, blocked_file_types, signup_domains, icon_key is not null as has_icon, icon_version";

    /// A workspace's settings.
    pub async fn get<'e>(db: impl PgExecutor<'e>, workspace: Uuid) -> AppResult<Settings> {
        let row: Row = sqlx::query_as(&format!("select {COLUMNS} from workspace where workspace_id = $1"))
            .bind(workspace)
            .fetch_one(db)
            .await?;
        Ok(row.into())
    }

    /// The rules the channel and message checks apply.
    pub async fn rules<'e>(db: impl PgExecutor<'e>, workspace: Uuid) -> AppResult<Rules> {
        Ok(get(db, workspace).await?.rules)
    }

    /// The upload limit and the blocked types.
    pub async fn upload_limits(db: &sqlx::PgPool, workspace: Uuid) -> AppResult<(u64, Vec<String>)> {
        let (max, blocked): (i64, Vec<String>) = sqlx::query_as(
            "select max_upload_bytes, blocked_file_types from workspace where workspace_id = $1",
        )
        .bind(workspace)
        .fetch_one(db)
        .await?;
        Ok((max as u64, blocked))
    }

    /// Saves an admin's settings: audited with the names of what changed,
    /// announced as `workspace_updated`. Saving nothing new does nothing.
    pub async fn set(ctx: &Ctx, admin: &Actor, new: Settings) -> AppResult<Settings> {
        let mut new = new.validated()?;
        let mut tx = ctx.begin().await?;
        let old: Row =
            sqlx::query_as(&format!("select {COLUMNS} from workspace where workspace_id = $1 for update"))
                .bind(admin.workspace_id)
                .fetch_one(&mut *tx)
                .await?;
        let old: Settings = old.into();
        (new.has_icon, new.icon_version) = (old.has_icon, old.icon_version);
        let mut changed: Vec<&str> = Vec::new();
        let mut note = |differs: bool, field: &'static str| {
            if differs {
                changed.push(field)
            }
        };
        note(old.name != new.name, "name");
        note(old.idle_after_secs != new.idle_after_secs, "idle_after_secs");
        note(old.rules.create_channels != new.rules.create_channels, "create_channels");
        note(old.rules.archive_channels != new.rules.archive_channels, "archive_channels");
        note(old.rules.broadcast_admins_over != new.rules.broadcast_admins_over, "broadcast_admins_over");
        note(old.max_upload_bytes != new.max_upload_bytes, "max_upload_bytes");
        note(old.blocked_file_types != new.blocked_file_types, "blocked_file_types");
        note(old.signup_domains != new.signup_domains, "signup_domains");
        if changed.is_empty() {
            return Ok(old);
        }
        sqlx::query(
            "update workspace set name = $2, idle_after_secs = $3, who_creates_channels = $4,
                    who_archives_channels = $5, broadcast_admins_over = $6, max_upload_bytes = $7,
                    blocked_file_types = $8, signup_domains = $9
              where workspace_id = $1",
        )
        .bind(admin.workspace_id)
        .bind(&new.name)
        .bind(new.idle_after_secs)
        .bind(new.rules.create_channels.as_str())
        .bind(new.rules.archive_channels.as_str())
        .bind(new.rules.broadcast_admins_over)
        .bind(new.max_upload_bytes)
        .bind(&new.blocked_file_types)
        .bind(&new.signup_domains)
        .execute(&mut *tx)
        .await?;
        let mut detail = serde_json::json!({ "changed": changed });
        if old.name != new.name {
            detail["from"] = old.name.clone().into();
            detail["to"] = new.name.clone().into();
        }
        audit(&mut tx, admin.workspace_id, Some(admin.member_id), "workspace.settings_changed", detail)
            .await?;
        tx.emit(
            Topic::Workspace(admin.workspace_id),
            Event::WorkspaceUpdated {
                name: new.name.clone(),
                rules: new.rules,
                icon_version: new.icon_version,
            },
        );
        tx.commit().await?;
        Ok(new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_types_are_read_as_an_admin_types_them() {
        assert_eq!(parse_types("exe, .BAT  js,exe").unwrap(), vec!["exe", "bat", "js"]);
        assert!(parse_types("").unwrap().is_empty());
        assert!(parse_types("ex e").is_ok());
        assert!(parse_types("a/b").is_err());
        assert!(parse_types(&"x".repeat(17)).is_err());
        let many: Vec<String> = (0..51).map(|i| format!("t{i}")).collect();
        assert!(parse_types(&many.join(",")).is_err());
    }

    #[test]
    fn blocked_types_match_the_last_extension_whatever_its_case() {
        let blocked = vec!["exe".to_string()];
        assert!(is_blocked("setup.EXE", &blocked));
        assert!(is_blocked("a.tar.exe", &blocked));
        assert!(!is_blocked("exe", &blocked));
        assert!(!is_blocked("notes.exe.txt", &blocked));
    }

    #[test]
    fn settings_are_bounded() {
        let ok = Settings {
            name: " Acme ".into(),
            idle_after_secs: 300,
            rules: Rules::default(),
            max_upload_bytes: MAX_FILE_BYTES as i64,
            blocked_file_types: vec![".EXE".into()],
            signup_domains: vec!["@Acme.io".into()],
            has_icon: false,
            icon_version: 0,
        };
        let v = ok.clone().validated().unwrap();
        assert_eq!((v.name.as_str(), v.blocked_file_types.as_slice()), ("Acme", &["exe".to_string()][..]));
        assert_eq!(v.signup_domains, ["acme.io"]);
        assert!(Settings { signup_domains: vec!["nope".into()], ..ok.clone() }.validated().is_err());
        assert!(Settings { idle_after_secs: 59, ..ok.clone() }.validated().is_err());
        assert!(Settings { max_upload_bytes: MAX_FILE_BYTES as i64 + 1, ..ok.clone() }.validated().is_err());
        assert!(Settings { max_upload_bytes: 1000, ..ok.clone() }.validated().is_err());
        let loud = Rules { broadcast_admins_over: Some(-1), ..Rules::default() };
        assert!(Settings { rules: loud, ..ok.clone() }.validated().is_err());
        assert!(Settings { name: "  ".into(), ..ok }.validated().is_err());
    }
}
