//! Channel mutations: create, join, leave, invite, kick, rename, topic,
//! purpose, archive, open DMs and read markers. Each one checks access first
//! and writes in one transaction, so a refused request changes nothing.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::server::{access, dm_key, info, Access};
use super::{validate_channel_name, validate_topic, Channel, ChannelKind, MAX_GROUP_DM};
use crate::auth::{Actor, Role};
use crate::db::{audit, unique_violation};
use crate::error::{AppError, AppResult};

const GENERAL_PURPOSE: &str = "This channel is for workspace-wide communication and announcements.";

/// Creates a workspace's #general. Called when the workspace is created.
pub async fn create_general(tx: &mut PgConnection, workspace_id: Uuid) -> AppResult<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query!(
        "insert into channel (channel_id, workspace_id, kind, name, is_general, purpose)
         values ($1, $2, 'public', 'general', true, $3)",
        id,
        workspace_id,
        GENERAL_PURPOSE
    )
    .execute(tx)
    .await?;
    Ok(id)
}

/// Puts a new member in #general (guests are only in channels they are invited to).
pub async fn join_general(
    tx: &mut PgConnection,
    workspace_id: Uuid,
    member_id: Uuid,
    role: Role,
) -> AppResult<()> {
    if role == Role::Guest {
        return Ok(());
    }
    sqlx::query!(
        "insert into channel_member (channel_id, member_id)
         select channel_id, $2 from channel where workspace_id = $1 and is_general
         on conflict do nothing",
        workspace_id,
        member_id
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// A duplicate channel name is `name_taken`; anything else is internal.
fn name_taken(e: sqlx::Error) -> AppError {
    match unique_violation(&e).as_deref() {
        Some("channel_workspace_name_key") => AppError::AlreadyExists("name_taken"),
        _ => e.into(),
    }
}

/// Creates a public or private channel with the caller as its first member.
pub async fn create(db: &PgPool, actor: &Actor, name: &str, is_private: bool) -> AppResult<Channel> {
    if actor.role == Role::Guest {
        return Err(AppError::Refused("restricted_action"));
    }
    let name = validate_channel_name(name)?;
    let kind = if is_private { ChannelKind::Private } else { ChannelKind::Public };
    let id = Uuid::now_v7();
    let mut tx = db.begin().await?;
    sqlx::query!(
        "insert into channel (channel_id, workspace_id, kind, name, created_by) values ($1, $2, $3, $4, $5)",
        id,
        actor.workspace_id,
        kind.as_str(),
        name,
        actor.member_id
    )
    .execute(&mut *tx)
    .await
    .map_err(name_taken)?;
    add_members(&mut tx, id, &[actor.member_id]).await?;
    tx.commit().await?;
    info(db, actor, id).await
}

async fn add_members(tx: &mut PgConnection, channel: Uuid, members: &[Uuid]) -> AppResult<()> {
    // New members start with everything read, as in Slack.
    sqlx::query!(
        "insert into channel_member (channel_id, member_id, last_read_seq)
         select $1, m, (select last_seq from channel where channel_id = $1) from unnest($2::uuid[]) m
         on conflict do nothing",
        channel,
        members
    )
    .execute(tx)
    .await?;
    Ok(())
}

fn require_channel(a: &Access) -> AppResult<()> {
    if a.kind.is_dm() {
        Err(AppError::InvalidArguments("this method does not apply to direct messages".into()))
    } else {
        Ok(())
    }
}

/// Joins a public channel. Joining a channel twice is not an error.
pub async fn join(db: &PgPool, actor: &Actor, channel: Uuid) -> AppResult<Channel> {
    let a = access(db, actor, channel).await?;
    if !a.is_member {
        require_channel(&a)?;
        a.require_open()?;
        let mut tx = db.begin().await?;
        add_members(&mut tx, channel, &[actor.member_id]).await?;
        tx.commit().await?;
    }
    info(db, actor, channel).await
}

/// Leaves a channel. Nobody leaves #general; DMs are closed, not left.
pub async fn leave(db: &PgPool, actor: &Actor, channel: Uuid) -> AppResult<()> {
    let a = access(db, actor, channel).await?;
    if a.kind.is_dm() {
        return Err(AppError::Refused("cant_leave_dm"));
    }
    if a.is_general {
        return Err(AppError::Refused("cant_leave_general"));
    }
    a.require_member()?;
    sqlx::query!(
        "delete from channel_member where channel_id = $1 and member_id = $2",
        channel,
        actor.member_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Checks that every id is an active member of the actor's workspace.
async fn workspace_members(db: &PgPool, actor: &Actor, users: &[Uuid]) -> AppResult<Vec<Uuid>> {
    let mut ids = users.to_vec();
    ids.sort();
    ids.dedup();
    let found = sqlx::query_scalar!(
        "select count(*) as \"n!\" from member
         where workspace_id = $1 and member_id = any($2) and deactivated_at is null",
        actor.workspace_id,
        &ids
    )
    .fetch_one(db)
    .await?;
    if found != ids.len() as i64 {
        return Err(AppError::NotFound("user_not_found"));
    }
    Ok(ids)
}

/// Adds people to a channel the caller is in. Guests cannot invite.
pub async fn invite(db: &PgPool, actor: &Actor, channel: Uuid, users: &[Uuid]) -> AppResult<()> {
    let a = access(db, actor, channel).await?;
    require_channel(&a)?;
    a.require_writable()?;
    if actor.role == Role::Guest {
        return Err(AppError::Refused("restricted_action"));
    }
    if users.is_empty() || users.len() > 1000 {
        return Err(AppError::InvalidArguments("users must list 1 to 1000 people".into()));
    }
    let ids = workspace_members(db, actor, users).await?;
    let mut tx = db.begin().await?;
    add_members(&mut tx, channel, &ids).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes someone from a channel: admins, or the channel's creator.
pub async fn kick(db: &PgPool, actor: &Actor, channel: Uuid, user: Uuid) -> AppResult<()> {
    let a = access(db, actor, channel).await?;
    require_channel(&a)?;
    a.require_writable()?;
    if a.is_general {
        return Err(AppError::Refused("cant_kick_from_general"));
    }
    if user == actor.member_id {
        return Err(AppError::Invalid("cant_kick_self"));
    }
    if !(actor.role.is_admin() || a.created_by == Some(actor.member_id)) {
        return Err(AppError::Refused("restricted_action"));
    }
    let mut tx = db.begin().await?;
    let gone =
        sqlx::query!("delete from channel_member where channel_id = $1 and member_id = $2", channel, user)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if gone == 0 {
        return Err(AppError::NotFound("user_not_found"));
    }
    let detail = serde_json::json!({"channel": channel, "user": user});
    audit(&mut tx, actor.workspace_id, Some(actor.member_id), "channel.kick", detail).await?;
    tx.commit().await?;
    Ok(())
}

/// Renames a channel: its creator or an admin (only admins rename #general).
pub async fn rename(db: &PgPool, actor: &Actor, channel: Uuid, name: &str) -> AppResult<Channel> {
    let a = access(db, actor, channel).await?;
    require_channel(&a)?;
    a.require_writable()?;
    let allowed = actor.role.is_admin() || (!a.is_general && a.created_by == Some(actor.member_id));
    if !allowed {
        return Err(AppError::Refused("restricted_action"));
    }
    let name = validate_channel_name(name)?;
    let mut tx = db.begin().await?;
    sqlx::query!("update channel set name = $2 where channel_id = $1", channel, name)
        .execute(&mut *tx)
        .await
        .map_err(name_taken)?;
    let detail = serde_json::json!({"channel": channel, "name": name});
    audit(&mut tx, actor.workspace_id, Some(actor.member_id), "channel.rename", detail).await?;
    tx.commit().await?;
    info(db, actor, channel).await
}

/// Which descriptive field to set.
#[derive(Debug, Clone, Copy)]
pub enum Field {
    Topic,
    Purpose,
}

/// Sets the topic or purpose. Any member of an open channel may (DMs have topics too).
pub async fn set_text(db: &PgPool, actor: &Actor, channel: Uuid, field: Field, value: &str) -> AppResult<()> {
    let a = access(db, actor, channel).await?;
    a.require_writable()?;
    let value = match field {
        Field::Topic => validate_topic("topic", value)?,
        Field::Purpose => validate_topic("purpose", value)?,
    };
    match field {
        Field::Topic => sqlx::query!("update channel set topic = $2 where channel_id = $1", channel, value),
        Field::Purpose => {
            sqlx::query!("update channel set purpose = $2 where channel_id = $1", channel, value)
        }
    }
    .execute(db)
    .await?;
    Ok(())
}

/// Archives (read-only) or unarchives a channel. #general is never archived.
pub async fn set_archived(db: &PgPool, actor: &Actor, channel: Uuid, archived: bool) -> AppResult<()> {
    let a = access(db, actor, channel).await?;
    require_channel(&a)?;
    a.require_member()?;
    if a.is_general {
        return Err(AppError::Refused("cant_archive_general"));
    }
    if actor.role == Role::Guest {
        return Err(AppError::Refused("restricted_action"));
    }
    if a.is_archived == archived {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    sqlx::query!(
        "update channel set archived_at = case when $2 then now() end where channel_id = $1",
        channel,
        archived
    )
    .execute(&mut *tx)
    .await?;
    let action = if archived { "channel.archive" } else { "channel.unarchive" };
    audit(
        &mut tx,
        actor.workspace_id,
        Some(actor.member_id),
        action,
        serde_json::json!({"channel": channel}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Opens (finding or creating) the DM with exactly these people plus the
/// caller: a 1:1 DM, a group of up to 9, or notes to self.
pub async fn open(db: &PgPool, actor: &Actor, users: &[Uuid]) -> AppResult<Channel> {
    let mut all: Vec<Uuid> = users.to_vec();
    all.push(actor.member_id);
    all.sort();
    all.dedup();
    if all.len() > MAX_GROUP_DM {
        return Err(AppError::Invalid("too_many_users"));
    }
    let all = workspace_members(db, actor, &all).await?;
    let kind = if all.len() <= 2 { ChannelKind::Dm } else { ChannelKind::GroupDm };
    let key = dm_key(&all);
    let mut tx = db.begin().await?;
    let created = sqlx::query_scalar!(
        "insert into channel (channel_id, workspace_id, kind, dm_key, created_by) values ($1, $2, $3, $4, $5)
         on conflict on constraint channel_workspace_dm_key do nothing returning channel_id",
        Uuid::now_v7(),
        actor.workspace_id,
        kind.as_str(),
        key,
        actor.member_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let id = match created {
        Some(id) => {
            add_members(&mut tx, id, &all).await?;
            id
        }
        None => {
            sqlx::query_scalar!(
                "select channel_id from channel where workspace_id = $1 and dm_key = $2",
                actor.workspace_id,
                key
            )
            .fetch_one(&mut *tx)
            .await?
        }
    };
    tx.commit().await?;
    info(db, actor, id).await
}

/// Moves the caller's read marker (backwards too: "mark unread").
pub async fn mark(db: &PgPool, actor: &Actor, channel: Uuid, seq: i64) -> AppResult<()> {
    let a = access(db, actor, channel).await?;
    a.require_member()?;
    if seq < 0 {
        return Err(AppError::InvalidArguments("seq must not be negative".into()));
    }
    sqlx::query!(
        "update channel_member set last_read_seq = least($3, (select last_seq from channel where channel_id = $1))
         where channel_id = $1 and member_id = $2",
        channel,
        actor.member_id,
        seq
    )
    .execute(db)
    .await?;
    Ok(())
}
