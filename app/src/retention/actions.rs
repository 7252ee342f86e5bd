//! Changing the retention policy: admin-only settings, audited, announced
//! to nobody (only the job reads them). A changed policy makes the
//! workspace due at once, so the next pass of the job applies it.

use uuid::Uuid;

use super::{days_label, valid_days, ChannelPolicy, MAX_DAYS};
use crate::auth::Actor;
use crate::core::ctx::Ctx;
use crate::db::audit;
use crate::error::{AppError, AppResult, Missing};

fn check_days(days: i32) -> AppResult<()> {
    if valid_days(days) {
        Ok(())
    } else {
        Err(AppError::InvalidArguments(format!("days must be between 1 and {MAX_DAYS}")))
    }
}

fn workspace_label(days: Option<i32>) -> String {
    days.map_or_else(|| "Keep everything".into(), days_label)
}

/// Sets the workspace's policy: `None` keeps everything.
pub async fn set_workspace(ctx: &Ctx, admin: &Actor, days: Option<i32>) -> AppResult<()> {
    if let Some(d) = days {
        check_days(d)?;
    }
    let mut tx = ctx.begin().await?;
    let old: Option<i32> =
        sqlx::query_scalar("select retention_days from workspace where workspace_id = $1 for no key update")
            .bind(admin.workspace_id)
            .fetch_one(&mut *tx)
            .await?;
    if old == days {
        return Ok(());
    }
    sqlx::query(
        "update workspace set retention_days = $2, retention_next_at = now() where workspace_id = $1",
    )
    .bind(admin.workspace_id)
    .bind(days)
    .execute(&mut *tx)
    .await?;
    let detail = serde_json::json!({"from": workspace_label(old), "to": workspace_label(days)});
    audit(&mut tx, admin.workspace_id, Some(admin.member_id), "retention.changed", detail).await?;
    tx.commit().await
}

/// Sets one channel's own policy (public and private channels; direct
/// messages follow the workspace).
pub async fn set_channel(ctx: &Ctx, admin: &Actor, channel: Uuid, policy: ChannelPolicy) -> AppResult<()> {
    if let ChannelPolicy::Days { days } = policy {
        check_days(days)?;
    }
    let mut tx = ctx.begin().await?;
    let row: Option<(String, Option<i32>)> = sqlx::query_as(
        "select name, retention_days from channel
          where channel_id = $1 and workspace_id = $2 and name is not null for no key update",
    )
    .bind(channel)
    .bind(admin.workspace_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((name, old)) = row else { return Err(AppError::NotFound(Missing::Channel)) };
    let new = policy.to_column();
    if old == new {
        return Ok(());
    }
    sqlx::query("update channel set retention_days = $2 where channel_id = $1")
        .bind(channel)
        .bind(new)
        .execute(&mut *tx)
        .await?;
    sqlx::query("update workspace set retention_next_at = now() where workspace_id = $1")
        .bind(admin.workspace_id)
        .execute(&mut *tx)
        .await?;
    let detail = serde_json::json!({
        "channel": channel,
        "name": name,
        "from": ChannelPolicy::from_column(old).label(),
        "to": policy.label(),
    });
    audit(&mut tx, admin.workspace_id, Some(admin.member_id), "retention.channel_changed", detail).await?;
    tx.commit().await
}
