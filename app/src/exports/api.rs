//! `admin.export.*`: start an export and follow it. Owners and admins only
//! (including private conversations takes an owner); for anyone else the
//! methods do not exist. The zip itself is downloaded from
//! `GET /exports/<id>/threadspace-export.zip`, by admins only.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Export;
use crate::api::Reply;
use crate::error::AppError;

/// Exports, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exports {
    pub exports: Vec<Export>,
}

/// One export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OneExport {
    pub export: Export,
}

/// Starts an export of the workspace. `include_private` (owners only) adds
/// private channels and direct messages.
#[server(prefix = "/api", endpoint = "admin.export.start", input = server_fn::codec::Json)]
pub async fn export_start(include_private: Option<bool>) -> Result<Reply<OneExport>, AppError> {
    let actor = crate::auth::session::admin_caller().await?;
    let st = crate::state::state()?;
    let id = st.exports.start(&actor, include_private.unwrap_or(false)).await?;
    let export =
        super::job::list(&st.db, actor.workspace_id, Some(id)).await?.pop().ok_or(AppError::Internal)?;
    Ok(Reply::new(OneExport { export }))
}

/// The latest exports, or only `export`, with progress and the download
/// link of a finished one.
#[server(prefix = "/api", endpoint = "admin.export.status", input = server_fn::codec::Json)]
pub async fn export_status(export: Option<Uuid>) -> Result<Reply<Exports>, AppError> {
    let actor = crate::auth::session::admin_caller().await?;
    let st = crate::state::state()?;
    let exports = super::job::list(&st.db, actor.workspace_id, export).await?;
    if export.is_some() && exports.is_empty() {
        return Err(AppError::NotFound(crate::error::Missing::Export));
    }
    Ok(Reply::new(Exports { exports }))
}
