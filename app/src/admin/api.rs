//! `admin.*` Web API methods. Each resolves the caller, then answers
//! `unknown_method` (exactly as for a method that does not exist) unless
//! they are an owner or admin of their workspace.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{AdminChannel, AdminMember, AuditEntry, MemberDetail, Overview, Status};
use crate::api::{Empty, Reply, ResponseMetadata};
use crate::auth::Role;
use crate::error::AppError;
use crate::workspaces::settings::Settings;

#[cfg(feature = "ssr")]
use crate::auth::session::admin_caller as admin;

#[cfg(feature = "ssr")]
fn ctx() -> Result<crate::core::ctx::Ctx, AppError> {
    crate::core::ctx::Ctx::current()
}

/// Counts and the health of the workspace's dependencies.
#[server(prefix = "/api", endpoint = "admin.overview", input = server_fn::codec::Json)]
pub async fn workspace_overview() -> Result<Reply<Overview>, AppError> {
    use super::Health;
    let actor = admin().await?;
    let st = crate::state::state()?;
    let (bus, up) = st.rt.bus_status();
    let mut health = vec![Health {
        name: "Event bus".into(),
        ok: up,
        detail: match (bus, up) {
            ("local", _) => "this node only (no Redis configured)".into(),
            (_, true) => format!("{bus}: connected"),
            (_, false) => format!("{bus}: unreachable; each node serves its own people"),
        },
    }];
    health.push(Health {
        name: "Email".into(),
        ok: st.mail.configured(),
        detail: if st.mail.configured() {
            "SMTP configured".into()
        } else {
            "not configured (THREADSPACE_SMTP_URL): mails go to the server log".into()
        },
    });
    let (queued, age) = super::queries::outbox_lag(&st.db).await?;
    let reindex = crate::search::meili::reindex::latest(&st.db, actor.workspace_id).await?;
    health.push(match &st.meili {
        Some(m) => {
            let mut detail = if m.is_behind() && m.is_ready() {
                format!("Meilisearch behind ({queued} changes waiting, oldest {age} s); Postgres answers until it catches up")
            } else if m.is_ready() {
                format!("Meilisearch; {queued} changes waiting, oldest {age} s")
            } else {
                "Meilisearch configured, index not filled yet (run `threadspace reindex`); Postgres answers"
                    .into()
            };
            match reindex {
                Some((status, done, total)) if status == "running" => {
                    let pct = if total > 0 { done * 100 / total } else { 100 };
                    detail.push_str(&format!("; reindexing: {done} of {total} messages ({pct}%)"));
                }
                Some((status, _, _)) if status != "done" => {
                    detail.push_str(&format!("; last reindex {status}"))
                }
                _ => {}
            }
            Health { name: "Search".into(), ok: age < 60, detail }
        }
        None => Health { name: "Search".into(), ok: true, detail: "Postgres full-text search".into() },
    });
    Ok(Reply::new(super::queries::overview(&st.db, &actor, health).await?))
}

/// A page of members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberPage {
    pub members: Vec<AdminMember>,
    pub response_metadata: ResponseMetadata,
}

/// Every member, deactivated ones included: filter by name or email
/// (`query`), `role`, `status` (all, active, deactivated) and
/// `inactive_days` (not seen for that long).
#[server(prefix = "/api", endpoint = "admin.users.list", input = server_fn::codec::Json)]
pub async fn users_list(
    query: Option<String>,
    role: Option<Role>,
    status: Option<Status>,
    inactive_days: Option<i32>,
    cursor: Option<String>,
    limit: Option<i64>,
) -> Result<Reply<MemberPage>, AppError> {
    let actor = admin().await?;
    let st = crate::state::state()?;
    let f = super::queries::Filter { query, role, status: status.unwrap_or_default(), inactive_days };
    let (members, response_metadata) =
        super::queries::members(&st.db, &actor, &f, cursor.as_deref(), limit).await?;
    Ok(Reply::new(MemberPage { members, response_metadata }))
}

/// One member with their live sessions and API tokens.
#[server(prefix = "/api", endpoint = "admin.users.sessions", input = server_fn::codec::Json)]
pub async fn users_sessions(user: Uuid) -> Result<Reply<MemberDetail>, AppError> {
    let actor = admin().await?;
    let st = crate::state::state()?;
    Ok(Reply::new(super::queries::member(&st.db, &actor, user).await?))
}

/// Changes a member's role (only owners touch owners; the last owner stays).
#[server(prefix = "/api", endpoint = "admin.users.setRole", input = server_fn::codec::Json)]
pub async fn users_set_role(user: Uuid, role: Role) -> Result<Reply<Empty>, AppError> {
    let actor = admin().await?;
    super::actions::set_role(&ctx()?, &actor, user, role).await?;
    Ok(Reply::new(Empty {}))
}

/// Deactivates a member: sessions and tokens revoked, sockets closed.
#[server(prefix = "/api", endpoint = "admin.users.deactivate", input = server_fn::codec::Json)]
pub async fn users_deactivate(user: Uuid) -> Result<Reply<super::Ended>, AppError> {
    let actor = admin().await?;
    Ok(Reply::new(super::actions::deactivate(&ctx()?, &actor, user).await?))
}

/// Lets a deactivated member sign in again.
#[server(prefix = "/api", endpoint = "admin.users.reactivate", input = server_fn::codec::Json)]
pub async fn users_reactivate(user: Uuid) -> Result<Reply<Empty>, AppError> {
    let actor = admin().await?;
    super::actions::reactivate(&ctx()?, &actor, user).await?;
    Ok(Reply::new(Empty {}))
}

/// Ends one of a member's sessions.
#[server(prefix = "/api", endpoint = "admin.users.revokeSession", input = server_fn::codec::Json)]
pub async fn users_revoke_session(user: Uuid, session: Uuid) -> Result<Reply<Empty>, AppError> {
    let actor = admin().await?;
    super::actions::revoke_session(&ctx()?, &actor, user, session).await?;
    Ok(Reply::new(Empty {}))
}

/// Revokes one of a member's API tokens.
#[server(prefix = "/api", endpoint = "admin.users.revokeToken", input = server_fn::codec::Json)]
pub async fn users_revoke_token(user: Uuid, token: Uuid) -> Result<Reply<Empty>, AppError> {
    let actor = admin().await?;
    super::actions::revoke_token(&ctx()?, &actor, user, token).await?;
    Ok(Reply::new(Empty {}))
}

/// Makes `user` an owner and the calling owner an admin.
#[server(prefix = "/api", endpoint = "admin.ownership.transfer", input = server_fn::codec::Json)]
pub async fn ownership_transfer(user: Uuid) -> Result<Reply<Empty>, AppError> {
    let actor = admin().await?;
    super::actions::transfer_ownership(&ctx()?, &actor, user).await?;
    Ok(Reply::new(Empty {}))
}

/// A page of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub response_metadata: ResponseMetadata,
}

/// The audit log, newest first: filter by `actor` (a member id), `action`
/// (one of the kinds the page lists), and `since`/`until` (dates,
/// `YYYY-MM-DD`, both inclusive, UTC).
#[server(prefix = "/api", endpoint = "admin.audit.list", input = server_fn::codec::Json)]
pub async fn audit_list(
    actor: Option<Uuid>,
    action: Option<String>,
    since: Option<String>,
    until: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
) -> Result<Reply<AuditPage>, AppError> {
    let me = admin().await?;
    let st = crate::state::state()?;
    let day = |field: &str, v: Option<String>| -> Result<Option<time::OffsetDateTime>, AppError> {
        let Some(v) = v.filter(|v| !v.trim().is_empty()) else { return Ok(None) };
        let f = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(v.trim(), &f)
            .map(|d| Some(d.midnight().assume_utc()))
            .map_err(|_| AppError::InvalidArguments(format!("{field} must be a date like 2026-12-31")))
    };
    let f = super::queries::AuditFilter {
        actor,
        action,
        since: day("since", since)?,
        until: day("until", until)?.map(|d| d + time::Duration::days(1)),
    };
    let (entries, response_metadata) =
        super::queries::audit(&st.db, &me, &f, cursor.as_deref(), limit).await?;
    Ok(Reply::new(AuditPage { entries, response_metadata }))
}

/// The workspace's channels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelList {
    pub channels: Vec<AdminChannel>,
}

/// Every channel, private ones included (names and counts, never content);
/// `query` filters by name.
#[server(prefix = "/api", endpoint = "admin.conversations.list", input = server_fn::codec::Json)]
pub async fn conversations_list(query: Option<String>) -> Result<Reply<ChannelList>, AppError> {
    let actor = admin().await?;
    let st = crate::state::state()?;
    Ok(Reply::new(ChannelList {
        channels: super::queries::channels(&st.db, &actor, query.as_deref()).await?,
    }))
}

/// Archives any channel but #general.
#[server(prefix = "/api", endpoint = "admin.conversations.archive", input = server_fn::codec::Json)]
pub async fn conversations_archive(channel: Uuid) -> Result<Reply<Empty>, AppError> {
    let actor = admin().await?;
    super::channels::set_archived(&ctx()?, &actor, channel, true).await?;
    Ok(Reply::new(Empty {}))
}

/// Unarchives a channel.
#[server(prefix = "/api", endpoint = "admin.conversations.unarchive", input = server_fn::codec::Json)]
pub async fn conversations_unarchive(channel: Uuid) -> Result<Reply<Empty>, AppError> {
    let actor = admin().await?;
    super::channels::set_archived(&ctx()?, &actor, channel, false).await?;
    Ok(Reply::new(Empty {}))
}

/// Renames any channel.
#[server(prefix = "/api", endpoint = "admin.conversations.rename", input = server_fn::codec::Json)]
pub async fn conversations_rename(channel: Uuid, name: String) -> Result<Reply<Empty>, AppError> {
    let actor = admin().await?;
    super::channels::rename(&ctx()?, &actor, channel, &name).await?;
    Ok(Reply::new(Empty {}))
}

/// Makes a channel private (`is_private: true`) or public.
#[server(prefix = "/api", endpoint = "admin.conversations.convert", input = server_fn::codec::Json)]
pub async fn conversations_convert(channel: Uuid, is_private: bool) -> Result<Reply<Empty>, AppError> {
    let actor = admin().await?;
    super::channels::convert(&ctx()?, &actor, channel, is_private).await?;
    Ok(Reply::new(Empty {}))
}

/// Chooses whether new members join this channel.
#[server(prefix = "/api", endpoint = "admin.conversations.setDefault", input = server_fn::codec::Json)]
pub async fn conversations_set_default(channel: Uuid, is_default: bool) -> Result<Reply<Empty>, AppError> {
    let actor = admin().await?;
    super::channels::set_default(&ctx()?, &actor, channel, is_default).await?;
    Ok(Reply::new(Empty {}))
}

/// The workspace's settings.
#[server(prefix = "/api", endpoint = "admin.settings.get", input = server_fn::codec::Json)]
pub async fn settings_get() -> Result<Reply<Settings>, AppError> {
    let actor = admin().await?;
    let st = crate::state::state()?;
    Ok(Reply::new(crate::workspaces::settings::get(&st.db, actor.workspace_id).await?))
}

/// The icon's version after a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IconReply {
    pub icon_version: i32,
}

/// Removes the workspace icon (one is set with the multipart
/// `admin.settings.setIcon`).
#[server(prefix = "/api", endpoint = "admin.settings.deleteIcon", input = server_fn::codec::Json)]
pub async fn settings_delete_icon() -> Result<Reply<IconReply>, AppError> {
    let actor = admin().await?;
    let st = crate::state::state()?;
    let icon_version = crate::workspaces::icon::delete_icon(&ctx()?, &st.files, &actor).await?;
    Ok(Reply::new(IconReply { icon_version }))
}

/// Replaces the workspace's settings (send them all, as `admin.settings.get`
/// returned them, with your changes); returns what was stored.
#[server(prefix = "/api", endpoint = "admin.settings.set", input = server_fn::codec::Json)]
pub async fn settings_set(settings: Settings) -> Result<Reply<Settings>, AppError> {
    let actor = admin().await?;
    Ok(Reply::new(crate::workspaces::settings::set(&ctx()?, &actor, settings).await?))
}
