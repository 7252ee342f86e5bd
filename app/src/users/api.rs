//! `users.*` Web API methods.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::MemberInfo;
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
