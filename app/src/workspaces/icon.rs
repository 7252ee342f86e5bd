//! The workspace icon (`admin.settings.setIcon`, `admin.settings.deleteIcon`):
//! a square picture kept in the file store like profile photos. A change
//! is audited and announced as `workspace_updated` with the new
//! `icon_version`, so open pages load it at once.

use uuid::Uuid;

use crate::auth::Actor;
use crate::core::ctx::Ctx;
use crate::db::audit;
use crate::error::AppResult;
use crate::files::images::Crop;
use crate::files::pictures;
use crate::files::upload::FileService;
use crate::realtime::bus::Topic;
use crate::realtime::Event;

/// Stores a new icon; returns its version.
pub async fn set_icon(
    ctx: &Ctx,
    files: &FileService,
    admin: &Actor,
    bytes: Vec<u8>,
    crop: Option<Crop>,
) -> AppResult<i32> {
    let base = format!("icons/{}/{}", admin.workspace_id, Uuid::now_v7());
    let mime = files.store_picture(&base, bytes, crop).await?;
    let saved = replace(ctx, admin, Some((&base, mime))).await;
    if saved.is_err() {
        files.forget_picture(&base).await;
    }
    files.nudge_sweeper();
    saved
}

/// Removes the icon (the workspace's initials show again).
pub async fn delete_icon(ctx: &Ctx, files: &FileService, admin: &Actor) -> AppResult<i32> {
    let done = replace(ctx, admin, None).await;
    files.nudge_sweeper();
    done
}

async fn replace(ctx: &Ctx, admin: &Actor, new: Option<(&str, &str)>) -> AppResult<i32> {
    let mut tx = ctx.begin().await?;
    let (old, version): (Option<String>, i32) = sqlx::query_as(
        "select icon_key, icon_version from workspace where workspace_id = $1 for no key update",
    )
    .bind(admin.workspace_id)
    .fetch_one(&mut *tx)
    .await?;
    if old.is_none() && new.is_none() {
        return Ok(version);
    }
    let version: i32 = sqlx::query_scalar(
        "update workspace set icon_key = $2, icon_mime = $3, icon_version = icon_version + 1
          where workspace_id = $1 returning icon_version",
    )
    .bind(admin.workspace_id)
    .bind(new.map(|n| n.0))
    .bind(new.map(|n| n.1))
    .fetch_one(&mut *tx)
    .await?;
    if let Some(old) = old {
        pictures::trash(&mut tx, &old).await?;
    }
    let action = if new.is_some() { "set" } else { "removed" };
    let detail = serde_json::json!({ "changed": ["icon"], "icon": action });
    audit(&mut tx, admin.workspace_id, Some(admin.member_id), "workspace.settings_changed", detail).await?;
    let s = crate::workspaces::settings::get(&mut *tx, admin.workspace_id).await?;
    tx.emit(
        Topic::Workspace(admin.workspace_id),
        Event::WorkspaceUpdated { name: s.name, rules: s.rules, icon_version: version },
    );
    tx.commit().await?;
    Ok(version)
}
