//! Workspaces: the tenant boundary. Everything a member can see belongs to
//! exactly one workspace, and every query is scoped by it.

#[cfg(feature = "ssr")]
pub mod actions;
pub mod api;
#[cfg(feature = "ssr")]
pub mod icon;
#[cfg(feature = "ssr")]
pub mod queries;
pub mod settings;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::Role;

/// One workspace of the caller's account, for the switcher.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceSummary {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    pub is_current: bool,
}

/// Where a workspace's icon is served (its picture, or its initials), with
/// the version when the page knows it.
pub fn icon_src(workspace: uuid::Uuid, version: i32) -> String {
    if version > 0 {
        format!("/workspace-icons/{workspace}/128?v={version}")
    } else {
        format!("/workspace-icons/{workspace}/128")
    }
}
