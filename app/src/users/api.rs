//! `users.*` Web API methods.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{MemberInfo, Profile};
use crate::api::{Reply, ResponseMetadata};
use crate::error::AppError;

/// A page of members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberPage {
    pub members: Vec<MemberInfo>,
    pub response_metadata: ResponseMetadata,
}

/// One member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserReply {
    pub user: MemberInfo,
}

/// Lists the workspace's active members by name; `query` filters by name or email.
#[server(prefix = "/api", endpoint = "users.list", input = server_fn::codec::Json)]
pub async fn list(
    cursor: Option<String>,
    limit: Option<i64>,
    query: Option<String>,
) -> Result<Reply<MemberPage>, AppError> {
    let actor = crate::auth::session::require_actor().await?;
    let st = crate::state::state()?;
    let page = super::queries::list(&st.db, &actor, query.as_deref(), cursor.as_deref(), limit).await?;
    Ok(Reply::new(MemberPage { members: page.members, response_metadata: page.meta }))
}

/// One member of the caller's workspace.
#[server(prefix = "/api", endpoint = "users.info", input = server_fn::codec::Json)]
pub async fn info(user: Uuid) -> Result<Reply<UserReply>, AppError> {
    let actor = crate::auth::session::require_actor().await?;
    let st = crate::state::state()?;
    Ok(Reply::new(UserReply { user: super::queries::info(&st.db, &actor, user).await? }))
}

/// One profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileReply {
    pub profile: Profile,
}

/// A member's profile (the caller's own when `user` is omitted).
#[server(prefix = "/api", endpoint = "users.profile.get", input = server_fn::codec::Json)]
pub async fn profile_get(user: Option<Uuid>) -> Result<Reply<ProfileReply>, AppError> {
    let actor = crate::auth::session::require_actor().await?;
    let st = crate::state::state()?;
    let profile = super::queries::profile(&st.db, &actor, user.unwrap_or(actor.member_id)).await?;
    Ok(Reply::new(ProfileReply { profile }))
}

/// The live statuses of the workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusList {
    pub statuses: Vec<super::UserStatus>,
}

/// Every active member's custom status that has not expired (at most
/// 5,000), so that pages can show them next to names; changes arrive as
/// `profile_updated`.
#[server(prefix = "/api", endpoint = "users.statuses", input = server_fn::codec::Json)]
pub async fn statuses() -> Result<Reply<StatusList>, AppError> {
    let actor = crate::auth::session::require_actor().await?;
    let st = crate::state::state()?;
    Ok(Reply::new(StatusList { statuses: super::queries::statuses(&st.db, &actor).await? }))
}

/// Removes the caller's photo (a photo is set with the multipart
/// `users.setPhoto`); returns the profile.
#[server(prefix = "/api", endpoint = "users.deletePhoto", input = server_fn::codec::Json)]
pub async fn delete_photo() -> Result<Reply<ProfileReply>, AppError> {
    let actor = crate::auth::session::require_actor().await?;
    let st = crate::state::state()?;
    let ctx = crate::core::ctx::Ctx::from(&st);
    let profile = match super::photo::delete_photo(&ctx, &st.files, &actor).await? {
        Some(p) => p,
        None => super::queries::profile(&st.db, &actor, actor.member_id).await?,
    };
    Ok(Reply::new(ProfileReply { profile }))
}

/// Changes the caller's display name, full name, title and time zone.
#[server(prefix = "/api", endpoint = "users.profile.set", input = server_fn::codec::Json)]
pub async fn profile_set(
    display_name: String,
    full_name: String,
    title: String,
    time_zone: String,
) -> Result<Reply<ProfileReply>, AppError> {
    let actor = crate::auth::session::require_actor().await?;
    let input = super::actions::ProfileInput { display_name, full_name, title, time_zone };
    let profile = super::actions::set_profile(&crate::core::ctx::Ctx::current()?, &actor, input).await?;
    Ok(Reply::new(ProfileReply { profile }))
}

/// Sets the caller's custom status (`emoji`: an emoji or `:shortcode:`;
/// `text`: up to 100 characters; `expires_in_minutes`: omit for never), or
/// clears it when both are empty.
#[server(prefix = "/api", endpoint = "users.status.set", input = server_fn::codec::Json)]
pub async fn status_set(
    emoji: String,
    text: String,
    expires_in_minutes: Option<i64>,
) -> Result<Reply<ProfileReply>, AppError> {
    let actor = crate::auth::session::require_actor().await?;
    let ctx = crate::core::ctx::Ctx::current()?;
    let profile = super::actions::set_status(&ctx, &actor, &emoji, &text, expires_in_minutes).await?;
    Ok(Reply::new(ProfileReply { profile }))
}
