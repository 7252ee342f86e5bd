//! `invites.*` Web API methods.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{InviteInfo, InvitePreview};
use crate::api::{Empty, Reply};
use crate::auth::api::Session;
use crate::auth::Role;
use crate::error::AppError;

/// Result of `invites.create`: the link, shown only this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedInvite {
    pub url: String,
    pub invite: InviteInfo,
}

/// Result of `invites.list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteList {
    pub invites: Vec<InviteInfo>,
}

/// Result of `invites.info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteInfoReply {
    pub invite: InvitePreview,
}

/// Creates an invite link (owners and admins). With `email`, the invite is
/// for that address only, used once, and mailed to it.
#[server(prefix = "/api", endpoint = "invites.create", input = server_fn::codec::Json)]
pub async fn create(
    role: Role,
    expires_in_hours: i64,
    max_uses: i32,
    email: Option<String>,
) -> Result<Reply<CreatedInvite>, AppError> {
    let actor = crate::auth::session::require_actor().await?;
    let st = crate::state::state()?;
    let created = match email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => {
            super::actions::send_by_email(&st.db, &actor, role, expires_in_hours, e, &st.public_url).await?
        }
        None => super::actions::create(&st.db, &actor, role, expires_in_hours, max_uses).await?,
    };
    let url = format!("{}/invite/{}", st.public_url.trim_end_matches('/'), created.token);
    Ok(Reply::new(CreatedInvite { url, invite: created.invite }))
}

/// Lists the workspace's invites with their status (owners and admins).
#[server(prefix = "/api", endpoint = "invites.list", input = server_fn::codec::Json)]
pub async fn list() -> Result<Reply<InviteList>, AppError> {
    let actor = crate::auth::session::require_actor().await?;
    let st = crate::state::state()?;
    Ok(Reply::new(InviteList { invites: super::queries::list(&st.db, &actor).await? }))
}

/// Revokes an invite (owners and admins).
#[server(prefix = "/api", endpoint = "invites.revoke", input = server_fn::codec::Json)]
pub async fn revoke(invite: Uuid) -> Result<Reply<Empty>, AppError> {
    let actor = crate::auth::session::require_actor().await?;
    let st = crate::state::state()?;
    super::actions::revoke(&st.db, &actor, invite).await?;
    Ok(Reply::new(Empty {}))
}

/// Describes an invite link without accepting it. No login needed.
#[server(prefix = "/api", endpoint = "invites.info", input = server_fn::codec::Json)]
pub async fn info(token: String) -> Result<Reply<InviteInfoReply>, AppError> {
    let st = crate::state::state()?;
    Ok(Reply::new(InviteInfoReply { invite: super::queries::preview(&st.db, &token).await? }))
}

/// Joins the invite's workspace and logs in. An existing account joins with
/// its own password; a new email creates an account.
#[server(prefix = "/api", endpoint = "invites.accept", input = server_fn::codec::Json)]
pub async fn accept(
    token: String,
    email: String,
    password: String,
    display_name: String,
) -> Result<Reply<Session>, AppError> {
    use crate::auth::session as auth;
    let st = crate::state::state()?;
    let device = auth::device().await;
    let input = super::actions::AcceptInput { token, email, password, display_name };
    let ctx = crate::core::ctx::Ctx::from(&st);
    let actor = super::actions::accept(&ctx, &st.limits, device.ip, input).await?;
    let session = auth::browser_session().await?;
    auth::establish_session(&ctx, &session, &actor, &device).await?;
    Ok(Reply::new(Session { user_id: actor.member_id, workspace_id: actor.workspace_id }))
}
