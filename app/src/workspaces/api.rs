//! `workspaces.*` Web API methods: the switcher's data and the switch itself.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::WorkspaceSummary;
use crate::api::Reply;
use crate::auth::api::Session;
use crate::error::AppError;

/// The caller's workspaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceList {
    pub workspaces: Vec<WorkspaceSummary>,
}

/// Lists the workspaces the caller's account belongs to.
#[server(prefix = "/api", endpoint = "workspaces.list", input = server_fn::codec::Json)]
pub async fn list() -> Result<Reply<WorkspaceList>, AppError> {
    let actor = crate::auth::session::require_actor().await?;
    let st = crate::state::state()?;
    let workspaces = super::queries::list_for(&st.db, &actor).await?;
    Ok(Reply::new(WorkspaceList { workspaces }))
}

/// Makes another of the account's workspaces the session's current one.
/// API tokens belong to one workspace and cannot switch.
#[server(prefix = "/api", endpoint = "workspaces.switch", input = server_fn::codec::Json)]
pub async fn switch(workspace: Uuid) -> Result<Reply<Session>, AppError> {
    use crate::auth::session as auth;
    // An API token belongs to one workspace: create one in the other workspace.
    let actor = auth::require_session_actor().await?;
    let st = crate::state::state()?;
    let next = super::queries::actor_in(&st.db, &actor, workspace).await?;
    if let Some(login) = next.credential {
        crate::auth::logins::switch(&st.db, login, next.member_id).await?;
    }
    Ok(Reply::new(Session { user_id: next.member_id, workspace_id: next.workspace_id }))
}
