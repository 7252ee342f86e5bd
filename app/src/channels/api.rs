//! `conversations.*` Web API methods (channels, DMs, members, read markers).
//!
//! Channel and user ids arrive as strings: a malformed id is reported as the
//! resource not being found, exactly like an id the caller may not see.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::Channel;
#[cfg(feature = "ssr")]
use super::{parse_channel_id, parse_user_ids};
use crate::api::{Empty, Reply, ResponseMetadata};
use crate::error::AppError;
use crate::users::MemberInfo;

/// One conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelReply {
    pub channel: Channel,
}

/// A page of conversations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelPage {
    pub channels: Vec<Channel>,
    pub response_metadata: ResponseMetadata,
}

/// A page of a channel's members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MembersPage {
    pub members: Vec<MemberInfo>,
    pub response_metadata: ResponseMetadata,
}

#[cfg(feature = "ssr")]
async fn ctx() -> Result<(crate::auth::Actor, crate::core::ctx::Ctx), AppError> {
    let actor = crate::auth::session::require_actor().await?;
    Ok((actor, crate::core::ctx::Ctx::current()?))
}

/// Creates a public or private channel; the caller is its first member.
#[server(prefix = "/api", endpoint = "conversations.create", input = server_fn::codec::Json)]
pub async fn create(name: String, is_private: Option<bool>) -> Result<Reply<ChannelReply>, AppError> {
    let (actor, db) = ctx().await?;
    let channel = super::actions::create(&db, &actor, &name, is_private.unwrap_or(false)).await?;
    Ok(Reply::new(ChannelReply { channel }))
}

/// Lists conversations: `types` is a comma-separated list of public, private,
/// dm and group_dm (default "public,private").
#[server(prefix = "/api", endpoint = "conversations.list", input = server_fn::codec::Json)]
pub async fn list(
    types: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
    query: Option<String>,
    exclude_archived: Option<bool>,
) -> Result<Reply<ChannelPage>, AppError> {
    let (actor, db) = ctx().await?;
    let input = super::queries::ListInput {
        types: types.as_deref(),
        cursor: cursor.as_deref(),
        limit,
        query: query.as_deref(),
        exclude_archived: exclude_archived.unwrap_or(false),
    };
    let page = super::queries::list(&db, &actor, input).await?;
    Ok(Reply::new(ChannelPage { channels: page.channels, response_metadata: page.meta }))
}

/// Every conversation the caller is in, with unread state (the sidebar).
#[server(prefix = "/api", endpoint = "users.conversations", input = server_fn::codec::Json)]
pub async fn mine() -> Result<Reply<ChannelPage>, AppError> {
    let (actor, db) = ctx().await?;
    let channels = super::queries::mine(&db, &actor).await?;
    Ok(Reply::new(ChannelPage { channels, response_metadata: ResponseMetadata::default() }))
}

/// One conversation.
#[server(prefix = "/api", endpoint = "conversations.info", input = server_fn::codec::Json)]
pub async fn info(channel: String) -> Result<Reply<ChannelReply>, AppError> {
    let (actor, db) = ctx().await?;
    let channel = super::queries::info(&db, &actor, parse_channel_id(&channel)?).await?;
    Ok(Reply::new(ChannelReply { channel }))
}

/// Joins a public channel.
#[server(prefix = "/api", endpoint = "conversations.join", input = server_fn::codec::Json)]
pub async fn join(channel: String) -> Result<Reply<ChannelReply>, AppError> {
    let (actor, db) = ctx().await?;
    let channel = super::actions::join(&db, &actor, parse_channel_id(&channel)?).await?;
    Ok(Reply::new(ChannelReply { channel }))
}

/// Leaves a channel.
#[server(prefix = "/api", endpoint = "conversations.leave", input = server_fn::codec::Json)]
pub async fn leave(channel: String) -> Result<Reply<Empty>, AppError> {
    let (actor, db) = ctx().await?;
    let id = parse_channel_id(&channel)?;
    super::actions::leave(&db, &actor, id).await?;
    Ok(Reply::new(Empty {}))
}

/// Adds members to a channel.
#[server(prefix = "/api", endpoint = "conversations.invite", input = server_fn::codec::Json)]
pub async fn invite(channel: String, users: Vec<String>) -> Result<Reply<Empty>, AppError> {
    let (actor, db) = ctx().await?;
    let users = parse_user_ids(&users)?;
    let id = parse_channel_id(&channel)?;
    super::actions::invite(&db, &actor, id, &users).await?;
    Ok(Reply::new(Empty {}))
}

/// Removes a member from a channel.
#[server(prefix = "/api", endpoint = "conversations.kick", input = server_fn::codec::Json)]
pub async fn kick(channel: String, user: String) -> Result<Reply<Empty>, AppError> {
    let (actor, db) = ctx().await?;
    let user = parse_user_ids(&[user])?[0];
    let id = parse_channel_id(&channel)?;
    super::actions::kick(&db, &actor, id, user).await?;
    Ok(Reply::new(Empty {}))
}

/// Renames a channel.
#[server(prefix = "/api", endpoint = "conversations.rename", input = server_fn::codec::Json)]
pub async fn rename(channel: String, name: String) -> Result<Reply<ChannelReply>, AppError> {
    let (actor, db) = ctx().await?;
    let channel = super::actions::rename(&db, &actor, parse_channel_id(&channel)?, &name).await?;
    Ok(Reply::new(ChannelReply { channel }))
}

/// Sets the channel topic (plain text, at most 250 characters).
#[server(prefix = "/api", endpoint = "conversations.setTopic", input = server_fn::codec::Json)]
pub async fn set_topic(channel: String, topic: String) -> Result<Reply<Empty>, AppError> {
    let (actor, db) = ctx().await?;
    let field = super::actions::Field::Topic;
    let id = parse_channel_id(&channel)?;
    super::actions::set_text(&db, &actor, id, field, &topic).await?;
    Ok(Reply::new(Empty {}))
}

/// Sets the channel purpose (plain text, at most 250 characters).
#[server(prefix = "/api", endpoint = "conversations.setPurpose", input = server_fn::codec::Json)]
pub async fn set_purpose(channel: String, purpose: String) -> Result<Reply<Empty>, AppError> {
    let (actor, db) = ctx().await?;
    let field = super::actions::Field::Purpose;
    let id = parse_channel_id(&channel)?;
    super::actions::set_text(&db, &actor, id, field, &purpose).await?;
    Ok(Reply::new(Empty {}))
}

/// Archives a channel: it becomes read-only.
#[server(prefix = "/api", endpoint = "conversations.archive", input = server_fn::codec::Json)]
pub async fn archive(channel: String) -> Result<Reply<Empty>, AppError> {
    let (actor, db) = ctx().await?;
    let id = parse_channel_id(&channel)?;
    super::actions::set_archived(&db, &actor, id, true).await?;
    Ok(Reply::new(Empty {}))
}

/// Unarchives a channel.
#[server(prefix = "/api", endpoint = "conversations.unarchive", input = server_fn::codec::Json)]
pub async fn unarchive(channel: String) -> Result<Reply<Empty>, AppError> {
    let (actor, db) = ctx().await?;
    let id = parse_channel_id(&channel)?;
    super::actions::set_archived(&db, &actor, id, false).await?;
    Ok(Reply::new(Empty {}))
}

/// A page of the channel's members, by name.
#[server(prefix = "/api", endpoint = "conversations.members", input = server_fn::codec::Json)]
pub async fn members(
    channel: String,
    cursor: Option<String>,
    limit: Option<i64>,
) -> Result<Reply<MembersPage>, AppError> {
    let (actor, db) = ctx().await?;
    let id = parse_channel_id(&channel)?;
    let page = super::queries::members(&db, &actor, id, cursor.as_deref(), limit).await?;
    Ok(Reply::new(MembersPage { members: page.members, response_metadata: page.meta }))
}

/// Opens the direct message with these people (plus the caller).
#[server(prefix = "/api", endpoint = "conversations.open", input = server_fn::codec::Json)]
pub async fn open(users: Vec<String>) -> Result<Reply<ChannelReply>, AppError> {
    let (actor, db) = ctx().await?;
    let users = parse_user_ids(&users)?;
    // A guest writes only to people they share a channel with.
    if let Some(visible) = crate::users::queries::visible_to(&db, &actor).await? {
        if users.iter().any(|u| !visible.contains(u)) {
            return Err(AppError::NotFound(crate::error::Missing::User));
        }
    }
    let channel = super::actions::open(&db, &actor, &users).await?;
    Ok(Reply::new(ChannelReply { channel }))
}

/// Moves the caller's read marker to `seq`.
#[server(prefix = "/api", endpoint = "conversations.mark", input = server_fn::codec::Json)]
pub async fn mark(channel: String, seq: i64) -> Result<Reply<Empty>, AppError> {
    let (actor, db) = ctx().await?;
    let id = parse_channel_id(&channel)?;
    super::actions::mark(&db, &actor, id, seq).await?;
    Ok(Reply::new(Empty {}))
}
