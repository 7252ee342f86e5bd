//! Admin changes to channels: archive, unarchive, rename, convert between
//! public and private, and choose the channels new members join. Admins act
//! on every channel of the workspace, private ones included, without being
//! in it; direct messages are never theirs to see (`channel_not_found`).
//! Each change is audited and announced like the members' own changes:
//! `channel_archived` to the channel, `channel_updated` to the channel and,
//! for a public channel, the workspace.

use uuid::Uuid;

use crate::auth::Actor;
use crate::channels::validate_channel_name;
use crate::core::ctx::Ctx;
use crate::core::tx::Tx;
use crate::db::{audit, unique_violation};
use crate::error::{AppError, AppResult, Conflict, Missing, Refusal};
use crate::realtime::bus::Topic;
use crate::realtime::{ChannelSummary, Event};

#[derive(sqlx::FromRow)]
struct Row {
    name: Option<String>,
    kind: String,
    topic: String,
    purpose: String,
    is_general: bool,
    archived: bool,
}

const COLUMNS: &str = "name, kind, topic, purpose, is_general, archived_at is not null as archived";

/// Locks a (non-DM) channel of the admin's workspace.
async fn lock(tx: &mut Tx, admin: &Actor, channel: Uuid) -> AppResult<Row> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from channel where channel_id = $1 and workspace_id = $2
            and kind in ('public', 'private') for no key update"
    ))
    .bind(channel)
    .bind(admin.workspace_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound(Missing::Channel))
}

/// Announces a channel's new summary: to its members, and to the whole
/// workspace when it is (or just stopped being) public.
fn announce(tx: &mut Tx, admin: &Actor, channel: Uuid, r: &Row, was_public: bool) {
    let summary = ChannelSummary {
        id: channel,
        name: r.name.clone(),
        is_private: r.kind == "private",
        is_dm: false,
        is_archived: r.archived,
        topic: r.topic.clone(),
        purpose: r.purpose.clone(),
    };
    tx.emit(Topic::Channel(channel), Event::ChannelUpdated { channel: summary.clone() });
    if was_public || r.kind == "public" {
        tx.emit(Topic::Workspace(admin.workspace_id), Event::ChannelUpdated { channel: summary });
    }
}

/// Archives or unarchives any channel but #general.
pub async fn set_archived(ctx: &Ctx, admin: &Actor, channel: Uuid, archived: bool) -> AppResult<()> {
    let mut tx = ctx.begin().await?;
    let r = lock(&mut tx, admin, channel).await?;
    if r.is_general {
        return Err(AppError::Refused(Refusal::CantArchiveGeneral));
    }
    if r.archived == archived {
        return Ok(());
    }
    sqlx::query("update channel set archived_at = case when $2 then now() end where channel_id = $1")
        .bind(channel)
        .bind(archived)
        .execute(&mut *tx)
        .await?;
    let action = if archived { "channel.archive" } else { "channel.unarchive" };
    let detail = serde_json::json!({"channel": channel, "name": r.name});
    audit(&mut tx, admin.workspace_id, Some(admin.member_id), action, detail).await?;
    tx.emit_to_channel(channel, Event::ChannelArchived { channel, archived });
    tx.commit().await
}

/// Renames any channel (#general included).
pub async fn rename(ctx: &Ctx, admin: &Actor, channel: Uuid, name: &str) -> AppResult<()> {
    let name = validate_channel_name(name)?;
    let mut tx = ctx.begin().await?;
    let r = lock(&mut tx, admin, channel).await?;
    if r.name.as_deref() == Some(name.as_str()) {
        return Ok(());
    }
    let row: Row =
        sqlx::query_as(&format!("update channel set name = $2 where channel_id = $1 returning {COLUMNS}"))
            .bind(channel)
            .bind(&name)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| match unique_violation(&e).as_deref() {
                Some("channel_workspace_name_key") => AppError::AlreadyExists(Conflict::NameTaken),
                _ => e.into(),
            })?;
    let detail = serde_json::json!({"channel": channel, "name": name, "from": r.name});
    audit(&mut tx, admin.workspace_id, Some(admin.member_id), "channel.rename", detail).await?;
    announce(&mut tx, admin, channel, &row, row.kind == "public");
    tx.commit().await
}

/// Makes a channel private or public. #general stays public.
pub async fn convert(ctx: &Ctx, admin: &Actor, channel: Uuid, private: bool) -> AppResult<()> {
    let mut tx = ctx.begin().await?;
    let r = lock(&mut tx, admin, channel).await?;
    if r.is_general {
        return Err(AppError::Refused(Refusal::CantConvertGeneral));
    }
    let kind = if private { "private" } else { "public" };
    if r.kind == kind {
        return Ok(());
    }
    // Making a private channel public opens its history to everyone: an
    // admin who is not an owner could otherwise read any private channel
    // (as with exports that include private channels, owners only).
    if !private && admin.role != crate::auth::Role::Owner {
        return Err(AppError::Refused(Refusal::OwnerOnly));
    }
    // A private channel is never a default channel (new members would be
    // put in it without being invited).
    let row: Row = sqlx::query_as(&format!(
        "update channel set kind = $2, is_default = is_default and $2 = 'public' where channel_id = $1 returning {COLUMNS}"
    ))
            .bind(channel)
            .bind(kind)
            .fetch_one(&mut *tx)
            .await?;
    let detail = serde_json::json!({"channel": channel, "name": r.name, "from": r.kind, "to": kind});
    audit(&mut tx, admin.workspace_id, Some(admin.member_id), "channel.converted", detail).await?;
    announce(&mut tx, admin, channel, &row, r.kind == "public");
    tx.commit().await
}

/// Whether new members join this channel (besides #general). Shown only on
/// the admin page, read on demand: nothing to announce.
pub async fn set_default(ctx: &Ctx, admin: &Actor, channel: Uuid, default: bool) -> AppResult<()> {
    let mut tx = ctx.begin().await?;
    let r = lock(&mut tx, admin, channel).await?;
    if r.is_general {
        return Err(AppError::Refused(Refusal::CantConvertGeneral));
    }
    if default && r.kind != "public" {
        return Err(AppError::InvalidArguments("only public channels can be default channels".into()));
    }
    let done = sqlx::query("update channel set is_default = $2 where channel_id = $1 and is_default <> $2")
        .bind(channel)
        .bind(default)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() > 0 {
        let detail = serde_json::json!({"channel": channel, "name": r.name, "to": default});
        audit(&mut tx, admin.workspace_id, Some(admin.member_id), "channel.default_set", detail).await?;
    }
    tx.commit().await
}
