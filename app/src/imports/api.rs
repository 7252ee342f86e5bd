//! `admin.import.*`: the dry run, the import, its progress, its report and
//! cancelling it. Owners and admins only; for anyone else the methods do
//! not exist. The zip arrives through `admin.import.upload` (multipart, a
//! plain route in the server crate), and the report downloads from
//! `GET /imports/<id>/report.json`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Import, Report};
use crate::api::Reply;
use crate::error::AppError;

/// Imports, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Imports {
    pub imports: Vec<Import>,
}

/// One import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OneImport {
    pub import: Import,
}

/// A dry run's report (none until the dry run finished).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportReply {
    pub import: Import,
    pub report: Option<Report>,
}

#[cfg(feature = "ssr")]
async fn reply(st: &crate::state::AppState, ws: Uuid, id: Uuid) -> Result<Reply<OneImport>, AppError> {
    Ok(Reply::new(OneImport { import: super::queries::one(&st.db, ws, id).await? }))
}

/// Starts the dry run of an uploaded export: it reads everything and
/// reports what the import would do, writing nothing else.
/// `merge_channels` merges channels into existing ones of the same name.
#[server(prefix = "/api", endpoint = "admin.import.dryRun", input = server_fn::codec::Json)]
pub async fn import_dry_run(
    import: Uuid,
    merge_channels: Option<bool>,
) -> Result<Reply<OneImport>, AppError> {
    let actor = crate::auth::session::admin_caller().await?;
    let st = crate::state::state()?;
    st.imports.check(&actor, import, merge_channels.unwrap_or(false)).await?;
    reply(&st, actor.workspace_id, import).await
}

/// Starts the import of a checked export (or resumes a failed or
/// cancelled one where it stopped).
#[server(prefix = "/api", endpoint = "admin.import.start", input = server_fn::codec::Json)]
pub async fn import_start(import: Uuid) -> Result<Reply<OneImport>, AppError> {
    let actor = crate::auth::session::admin_caller().await?;
    let st = crate::state::state()?;
    st.imports.start(&actor, import).await?;
    reply(&st, actor.workspace_id, import).await
}

/// Stops a dry run or an import after its current batch.
#[server(prefix = "/api", endpoint = "admin.import.cancel", input = server_fn::codec::Json)]
pub async fn import_cancel(import: Uuid) -> Result<Reply<OneImport>, AppError> {
    let actor = crate::auth::session::admin_caller().await?;
    let st = crate::state::state()?;
    st.imports.cancel(&actor, import).await?;
    reply(&st, actor.workspace_id, import).await
}

/// The latest imports, or only `import`, with progress.
#[server(prefix = "/api", endpoint = "admin.import.status", input = server_fn::codec::Json)]
pub async fn import_status(import: Option<Uuid>) -> Result<Reply<Imports>, AppError> {
    let actor = crate::auth::session::admin_caller().await?;
    let st = crate::state::state()?;
    let imports = super::queries::list(&st.db, actor.workspace_id, import).await?;
    if import.is_some() && imports.is_empty() {
        return Err(AppError::NotFound(crate::error::Missing::Import));
    }
    Ok(Reply::new(Imports { imports }))
}

/// The dry run's report.
#[server(prefix = "/api", endpoint = "admin.import.report", input = server_fn::codec::Json)]
pub async fn import_report(import: Uuid) -> Result<Reply<ReportReply>, AppError> {
    let actor = crate::auth::session::admin_caller().await?;
    let st = crate::state::state()?;
    let report = super::queries::report(&st.db, actor.workspace_id, import).await?;
    let import = super::queries::one(&st.db, actor.workspace_id, import).await?;
    Ok(Reply::new(ReportReply { import, report }))
}
