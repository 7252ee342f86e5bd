//! `admin.retention.*`: the policy, and runs of the job. Owners and admins
//! only; for anyone else the methods do not exist.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ChannelPolicy, Retention, Run};
use crate::api::Reply;
use crate::error::AppError;

/// The workspace's policy, the channels with their own, and the latest runs.
#[server(prefix = "/api", endpoint = "admin.retention.get", input = server_fn::codec::Json)]
pub async fn retention_get() -> Result<Reply<Retention>, AppError> {
    let actor = crate::auth::session::admin_caller().await?;
    let st = crate::state::state()?;
    Ok(Reply::new(super::queries::view(&st.db, actor.workspace_id).await?))
}

/// Sets the workspace's policy (`workspace_days`: a number of days, or null
/// to keep everything) when `channel` is absent; otherwise that channel's
/// own `policy`. Returns the whole view, as `admin.retention.get`.
#[server(prefix = "/api", endpoint = "admin.retention.set", input = server_fn::codec::Json)]
pub async fn retention_set(
    workspace_days: Option<i32>,
    channel: Option<Uuid>,
    policy: Option<ChannelPolicy>,
) -> Result<Reply<Retention>, AppError> {
    let actor = crate::auth::session::admin_caller().await?;
    let st = crate::state::state()?;
    let ctx = crate::core::ctx::Ctx::from(&st);
    match (channel, policy) {
        (Some(c), Some(p)) => super::actions::set_channel(&ctx, &actor, c, p).await?,
        (Some(_), None) => return Err(AppError::InvalidArguments("a channel needs a policy".into())),
        (None, _) => super::actions::set_workspace(&ctx, &actor, workspace_days).await?,
    }
    Ok(Reply::new(super::queries::view(&st.db, actor.workspace_id).await?))
}

/// A run just started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Started {
    pub run: Run,
}

/// Starts a run now, in the background (`retention_running` if one is
/// running); `admin.retention.get` shows how it goes.
#[server(prefix = "/api", endpoint = "admin.retention.run", input = server_fn::codec::Json)]
pub async fn retention_run() -> Result<Reply<Started>, AppError> {
    let actor = crate::auth::session::admin_caller().await?;
    let st = crate::state::state()?;
    let id = st.retention.run_now(&actor).await?;
    let run =
        super::queries::runs(&st.db, actor.workspace_id, Some(id)).await?.pop().ok_or(AppError::Internal)?;
    Ok(Reply::new(Started { run }))
}
