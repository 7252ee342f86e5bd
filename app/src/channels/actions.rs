//! Channel mutations: create, join, leave, invite, kick, rename, topic,
//! purpose, archive, open DMs and read markers.
//!
//! Each one runs in one [`Tx`]: it locks the channel's row and checks access
//! inside the transaction (`server::lock`), asks `core::policy` whether the
//! caller may, writes, and emits the events that describe what changed, built
//! from what it wrote. An action that changes nothing (joining twice,
//! archiving an archived channel, opening an existing DM) emits nothing. A
//! refused request changes nothing and announces nothing.

use sqlx::PgConnection;
use uuid::Uuid;

use super::events::{announce_created, announce_joined, announce_left, announce_updated, SummaryRow};
use super::queries::{dm_key, info, lock, policy};
use super::{validate_channel_name, validate_topic, Channel, ChannelKind, MAX_GROUP_DM};
use crate::auth::{Actor, Role};
use crate::core::ctx::Ctx;
use crate::core::policy as rules;
use crate::core::tx::Tx;
use crate::db::{audit, unique_violation};
use crate::error::{AppError, AppResult, Conflict, Missing, Refusal, Rule};
use crate::realtime::bus::Topic;
use crate::realtime::Event;

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

/// Puts a new member in #general and the default channels an admin chose
/// (guests are only in channels they are invited to), announcing it to
/// each channel and to the newcomer.
pub async fn join_general(tx: &mut Tx, workspace_id: Uuid, member_id: Uuid, role: Role) -> AppResult<()> {
    if role == Role::Guest {
        return Ok(());
    }
    let joined = sqlx::query_scalar!(
        "insert into channel_member (channel_id, member_id, last_read_seq)
         select channel_id, $2, last_seq from channel
          where workspace_id = $1 and (is_general or (is_default and archived_at is null))
         on conflict do nothing returning channel_id",
        workspace_id,
        member_id
    )
    .fetch_all(&mut **tx)
    .await?;
    for channel in joined {
        announce_joined(tx, channel, &[member_id]);
    }
    Ok(())
}

/// A duplicate channel name is `name_taken`; anything else is internal.
fn name_taken(e: sqlx::Error) -> AppError {
    match unique_violation(&e).as_deref() {
        Some("channel_workspace_name_key") => AppError::AlreadyExists(Conflict::NameTaken),
        _ => e.into(),
    }
}

/// Creates a public or private channel with the caller as its first member.
pub async fn create(ctx: &Ctx, actor: &Actor, name: &str, is_private: bool) -> AppResult<Channel> {
    let name = validate_channel_name(name)?;
    let s = crate::core::policy::Subject { member: actor.member_id, role: actor.role };
    let workspace_rules = crate::workspaces::settings::rules(&**ctx, actor.workspace_id).await?;
    if !rules::can_create_channel(&s, &workspace_rules) {
        return Err(AppError::Refused(Refusal::RestrictedAction));
    }
    let kind = if is_private { ChannelKind::Private } else { ChannelKind::Public };
    let id = Uuid::now_v7();
    let mut tx = ctx.begin().await?;
    let row = sqlx::query_as!(
        SummaryRow,
        r#"insert into channel (channel_id, workspace_id, kind, name, created_by) values ($1, $2, $3, $4, $5)
           returning workspace_id, name, kind, topic, purpose, archived_at is not null as "archived!""#,
        id,
        actor.workspace_id,
        kind.as_str(),
        name,
        actor.member_id
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(name_taken)?;
    add_members(&mut tx, id, &[actor.member_id]).await?;
    let (summary, workspace) = row.into_summary(id);
    announce_created(&mut tx, summary, workspace, &[actor.member_id]);
    tx.commit().await?;
    info(ctx, actor, id).await
}

/// Adds members (new ones start with everything read, as in Slack); returns
/// the ones who were not in already.
async fn add_members(tx: &mut PgConnection, channel: Uuid, members: &[Uuid]) -> AppResult<Vec<Uuid>> {
    Ok(sqlx::query_scalar!(
        "insert into channel_member (channel_id, member_id, last_read_seq)
         select $1, m, (select last_seq from channel where channel_id = $1) from unnest($2::uuid[]) m
         on conflict do nothing returning member_id",
        channel,
        members
    )
    .fetch_all(tx)
    .await?)
}

fn require_channel(kind: ChannelKind) -> AppResult<()> {
    if kind.is_dm() {
        Err(AppError::InvalidArguments("this method does not apply to direct messages".into()))
    } else {
        Ok(())
    }
}

/// Joins a public channel. Joining a channel twice is not an error, and
/// announces nothing the second time.
pub async fn join(ctx: &Ctx, actor: &Actor, channel: Uuid) -> AppResult<Channel> {
    let mut tx = ctx.begin().await?;
    let a = lock(&mut tx, actor, channel).await?;
    if !a.is_member {
        require_channel(a.kind)?;
        a.require_open()?;
        let added = add_members(&mut tx, channel, &[actor.member_id]).await?;
        announce_joined(&mut tx, channel, &added);
    }
    tx.commit().await?;
    info(ctx, actor, channel).await
}

/// Leaves a channel. Nobody leaves #general; DMs are closed, not left.
pub async fn leave(ctx: &Ctx, actor: &Actor, channel: Uuid) -> AppResult<()> {
    let mut tx = ctx.begin().await?;
    let a = lock(&mut tx, actor, channel).await?;
    if a.kind.is_dm() {
        return Err(AppError::Refused(Refusal::CantLeaveDm));
    }
    if a.is_general {
        return Err(AppError::Refused(Refusal::CantLeaveGeneral));
    }
    a.require_member()?;
    sqlx::query!(
        "delete from channel_member where channel_id = $1 and member_id = $2",
        channel,
        actor.member_id
    )
    .execute(&mut *tx)
    .await?;
    announce_left(&mut tx, channel, actor.member_id);
    tx.commit().await
}

/// Checks that every id is an active member of the actor's workspace.
async fn workspace_members(tx: &mut PgConnection, actor: &Actor, users: &[Uuid]) -> AppResult<Vec<Uuid>> {
    let mut ids = users.to_vec();
    ids.sort();
    ids.dedup();
    let found = sqlx::query_scalar!(
        "select count(*) as \"n!\" from member
         where workspace_id = $1 and member_id = any($2) and deactivated_at is null",
        actor.workspace_id,
        &ids
    )
    .fetch_one(tx)
    .await?;
    if found != ids.len() as i64 {
        return Err(AppError::NotFound(Missing::User));
    }
    Ok(ids)
}

/// Adds people to a channel the caller is in. Guests cannot invite.
pub async fn invite(ctx: &Ctx, actor: &Actor, channel: Uuid, users: &[Uuid]) -> AppResult<()> {
    let mut tx = ctx.begin().await?;
    let a = lock(&mut tx, actor, channel).await?;
    require_channel(a.kind)?;
    a.require_writable()?;
    let (s, t) = policy(actor, &a);
    if !rules::can_invite(&s, &t) {
        return Err(AppError::Refused(Refusal::RestrictedAction));
    }
    if users.is_empty() || users.len() > 1000 {
        return Err(AppError::InvalidArguments("users must list 1 to 1000 people".into()));
    }
    let ids = workspace_members(&mut tx, actor, users).await?;
    let added = add_members(&mut tx, channel, &ids).await?;
    announce_joined(&mut tx, channel, &added);
    tx.commit().await
}

/// Removes someone from a channel: admins, or the channel's creator.
pub async fn kick(ctx: &Ctx, actor: &Actor, channel: Uuid, user: Uuid) -> AppResult<()> {
    let mut tx = ctx.begin().await?;
    let a = lock(&mut tx, actor, channel).await?;
    require_channel(a.kind)?;
    a.require_writable()?;
    if a.is_general {
        return Err(AppError::Refused(Refusal::CantKickFromGeneral));
    }
    if user == actor.member_id {
        return Err(AppError::Invalid(Rule::CantKickSelf));
    }
    let (s, t) = policy(actor, &a);
    if !rules::can_kick(&s, &t) {
        return Err(AppError::Refused(Refusal::RestrictedAction));
    }
    let gone =
        sqlx::query!("delete from channel_member where channel_id = $1 and member_id = $2", channel, user)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if gone == 0 {
        return Err(AppError::NotFound(Missing::User));
    }
    let detail = serde_json::json!({"channel": channel, "user": user});
    audit(&mut tx, actor.workspace_id, Some(actor.member_id), "channel.kick", detail).await?;
    announce_left(&mut tx, channel, user);
    tx.commit().await
}

/// Renames a channel: its creator or an admin (only admins rename #general).
pub async fn rename(ctx: &Ctx, actor: &Actor, channel: Uuid, name: &str) -> AppResult<Channel> {
    let mut tx = ctx.begin().await?;
    let a = lock(&mut tx, actor, channel).await?;
    require_channel(a.kind)?;
    a.require_writable()?;
    let (s, t) = policy(actor, &a);
    if !rules::can_rename(&s, &t) {
        return Err(AppError::Refused(Refusal::RestrictedAction));
    }
    let name = validate_channel_name(name)?;
    let row = sqlx::query_as!(
        SummaryRow,
        r#"update channel set name = $2 where channel_id = $1 and name is distinct from $2
           returning workspace_id, name, kind, topic, purpose, archived_at is not null as "archived!""#,
        channel,
        name
    )
    .fetch_optional(&mut *tx)
    .await
    .map_err(name_taken)?;
    if let Some(row) = row {
        let detail = serde_json::json!({"channel": channel, "name": name});
        audit(&mut tx, actor.workspace_id, Some(actor.member_id), "channel.rename", detail).await?;
        announce_updated(&mut tx, row, channel);
    }
    tx.commit().await?;
    info(ctx, actor, channel).await
}

/// Which descriptive field to set.
#[derive(Debug, Clone, Copy)]
pub enum Field {
    Topic,
    Purpose,
}

/// Sets the topic or purpose. Any member of an open channel may (DMs have topics too).
pub async fn set_text(ctx: &Ctx, actor: &Actor, channel: Uuid, field: Field, value: &str) -> AppResult<()> {
    let value = match field {
        Field::Topic => validate_topic("topic", value)?,
        Field::Purpose => validate_topic("purpose", value)?,
    };
    let mut tx = ctx.begin().await?;
    lock(&mut tx, actor, channel).await?.writable()?;
    // One statement for either field; an unchanged value writes nothing.
    let topic = matches!(field, Field::Topic);
    let row = sqlx::query_as!(
        SummaryRow,
        r#"update channel set topic = case when $3 then $2 else topic end,
                              purpose = case when $3 then purpose else $2 end
           where channel_id = $1 and (case when $3 then topic else purpose end) <> $2
           returning workspace_id, name, kind, topic, purpose, archived_at is not null as "archived!""#,
        channel,
        value,
        topic
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(row) = row {
        announce_updated(&mut tx, row, channel);
    }
    tx.commit().await
}

/// Archives (read-only) or unarchives a channel. #general is never archived.
pub async fn set_archived(ctx: &Ctx, actor: &Actor, channel: Uuid, archived: bool) -> AppResult<()> {
    let mut tx = ctx.begin().await?;
    let a = lock(&mut tx, actor, channel).await?;
    require_channel(a.kind)?;
    a.require_member()?;
    if a.is_general {
        return Err(AppError::Refused(Refusal::CantArchiveGeneral));
    }
    let (s, t) = policy(actor, &a);
    let workspace_rules = crate::workspaces::settings::rules(&mut *tx, actor.workspace_id).await?;
    if !rules::can_archive(&s, &t, &workspace_rules) {
        return Err(AppError::Refused(Refusal::RestrictedAction));
    }
    if a.is_archived == archived {
        return Ok(());
    }
    sqlx::query!(
        "update channel set archived_at = case when $2 then now() end where channel_id = $1",
        channel,
        archived
    )
    .execute(&mut *tx)
    .await?;
    let action = if archived { "channel.archive" } else { "channel.unarchive" };
    let detail = serde_json::json!({"channel": channel});
    audit(&mut tx, actor.workspace_id, Some(actor.member_id), action, detail).await?;
    tx.emit_to_channel(channel, Event::ChannelArchived { channel, archived });
    tx.commit().await
}

/// Opens (finding or creating) the DM with exactly these people plus the
/// caller: a 1:1 DM, a group of up to 9, or notes to self. Only a new DM is
/// announced.
pub async fn open(ctx: &Ctx, actor: &Actor, users: &[Uuid]) -> AppResult<Channel> {
    let mut all: Vec<Uuid> = users.to_vec();
    all.push(actor.member_id);
    all.sort();
    all.dedup();
    if all.len() > MAX_GROUP_DM {
        return Err(AppError::Invalid(Rule::TooManyUsers));
    }
    let mut tx = ctx.begin().await?;
    let all = workspace_members(&mut tx, actor, &all).await?;
    let kind = if all.len() <= 2 { ChannelKind::Dm } else { ChannelKind::GroupDm };
    let key = dm_key(&all);
    let created = sqlx::query_as!(
        SummaryRow,
        r#"insert into channel (channel_id, workspace_id, kind, dm_key, created_by) values ($1, $2, $3, $4, $5)
           on conflict on constraint channel_workspace_dm_key do nothing
           returning workspace_id, name, kind, topic, purpose, archived_at is not null as "archived!""#,
        Uuid::now_v7(),
        actor.workspace_id,
        kind.as_str(),
        key,
        actor.member_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let id = sqlx::query_scalar!(
        "select channel_id from channel where workspace_id = $1 and dm_key = $2",
        actor.workspace_id,
        key
    )
    .fetch_one(&mut *tx)
    .await?;
    if let Some(row) = created {
        add_members(&mut tx, id, &all).await?;
        let (summary, workspace) = row.into_summary(id);
        announce_created(&mut tx, summary, workspace, &all);
    }
    tx.commit().await?;
    info(ctx, actor, id).await
}

/// Moves the caller's read marker (backwards too: "mark unread"). The
/// caller's other tabs learn it; an unchanged marker announces nothing.
pub async fn mark(ctx: &Ctx, actor: &Actor, channel: Uuid, seq: i64) -> AppResult<()> {
    if seq < 0 {
        return Err(AppError::InvalidArguments("seq must not be negative".into()));
    }
    let mut tx = ctx.begin().await?;
    let a = super::queries::access(&mut *tx, actor, channel).await?;
    a.require_member()?;
    let moved = sqlx::query_scalar!(
        "update channel_member set last_read_seq = least($3, (select last_seq from channel where channel_id = $1))
         where channel_id = $1 and member_id = $2
           and last_read_seq <> least($3, (select last_seq from channel where channel_id = $1))
         returning last_read_seq",
        channel,
        actor.member_id,
        seq
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(seq) = moved {
        tx.emit(Topic::Member(actor.member_id), Event::ReadMarker { channel, seq });
    }
    tx.commit().await
}
