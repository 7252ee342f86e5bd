//! `chat.*`, `reactions.*`, `conversations.history` and
//! `conversations.replies` Web API methods.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Message;
use crate::api::{Empty, Reply};
#[cfg(feature = "ssr")]
use crate::channels::parse_channel_id;
use crate::error::AppError;

/// A message that was posted or edited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageReply {
    pub channel: Uuid,
    pub seq: i64,
    pub message: Message,
}

/// A page of messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryReply {
    pub messages: Vec<Message>,
    pub has_more: bool,
}

#[cfg(feature = "ssr")]
async fn ctx() -> Result<(crate::auth::Actor, crate::core::ctx::Ctx), AppError> {
    let actor = crate::auth::session::require_actor().await?;
    Ok((actor, crate::core::ctx::Ctx::current()?))
}

/// Posts a message, or a thread reply with `thread_seq`. Send a fresh
/// `client_msg_id` with each new message: a retry with the same one returns
/// the original message instead of posting twice.
#[server(prefix = "/api", endpoint = "chat.postMessage", input = server_fn::codec::Json)]
pub async fn post_message(
    channel: String,
    text: String,
    client_msg_id: Option<String>,
    thread_seq: Option<i64>,
    also_send_to_channel: Option<bool>,
) -> Result<Reply<MessageReply>, AppError> {
    let (actor, db) = ctx().await?;
    let input = super::actions::SendInput {
        channel: parse_channel_id(&channel)?,
        text,
        client_msg_id,
        thread_seq,
        also_send_to_channel: also_send_to_channel.unwrap_or(false),
        files: Vec::new(),
    };
    let message = super::actions::send(&db, &actor, input).await?;
    Ok(Reply::new(MessageReply { channel: message.channel, seq: message.seq, message }))
}

/// Edits one of the caller's messages.
#[server(prefix = "/api", endpoint = "chat.update", input = server_fn::codec::Json)]
pub async fn update(channel: String, seq: i64, text: String) -> Result<Reply<MessageReply>, AppError> {
    let (actor, db) = ctx().await?;
    let message = super::actions::update(&db, &actor, parse_channel_id(&channel)?, seq, &text).await?;
    Ok(Reply::new(MessageReply { channel: message.channel, seq: message.seq, message }))
}

/// Deletes a message (the author, or an admin), leaving a tombstone.
#[server(prefix = "/api", endpoint = "chat.delete", input = server_fn::codec::Json)]
pub async fn delete(channel: String, seq: i64) -> Result<Reply<Empty>, AppError> {
    let (actor, db) = ctx().await?;
    let id = parse_channel_id(&channel)?;
    super::actions::delete(&db, &actor, id, seq).await?;
    // Files shared nowhere else were queued for removal: remove them now.
    let files = crate::state::state()?.files;
    if files.sweep_now(&db).await.is_err() {
        files.nudge_sweeper();
    }
    Ok(Reply::new(Empty {}))
}

/// A page of the channel's history, newest first (`before`/`after` are
/// exclusive seqs, `limit` at most 200).
#[server(prefix = "/api", endpoint = "conversations.history", input = server_fn::codec::Json)]
pub async fn history(
    channel: String,
    before: Option<i64>,
    after: Option<i64>,
    limit: Option<i64>,
) -> Result<Reply<HistoryReply>, AppError> {
    let (actor, db) = ctx().await?;
    let id = parse_channel_id(&channel)?;
    let page = super::queries::history(&db, &actor, id, before, after, limit).await?;
    Ok(Reply::new(HistoryReply { messages: page.messages, has_more: page.has_more }))
}

/// A thread: the root message, then its replies in order.
#[server(prefix = "/api", endpoint = "conversations.replies", input = server_fn::codec::Json)]
pub async fn replies(
    channel: String,
    thread_seq: i64,
    limit: Option<i64>,
) -> Result<Reply<HistoryReply>, AppError> {
    let (actor, db) = ctx().await?;
    let page = super::queries::replies(&db, &actor, parse_channel_id(&channel)?, thread_seq, limit).await?;
    Ok(Reply::new(HistoryReply { messages: page.messages, has_more: page.has_more }))
}

/// Adds the caller's reaction (a shortcode like `thumbsup`, or an emoji).
#[server(prefix = "/api", endpoint = "reactions.add", input = server_fn::codec::Json)]
pub async fn react(channel: String, seq: i64, emoji: String) -> Result<Reply<Empty>, AppError> {
    let (actor, db) = ctx().await?;
    let id = parse_channel_id(&channel)?;
    super::reactions::add(&db, &actor, id, seq, &emoji).await?;
    Ok(Reply::new(Empty {}))
}

/// Removes the caller's reaction.
#[server(prefix = "/api", endpoint = "reactions.remove", input = server_fn::codec::Json)]
pub async fn unreact(channel: String, seq: i64, emoji: String) -> Result<Reply<Empty>, AppError> {
    let (actor, db) = ctx().await?;
    let id = parse_channel_id(&channel)?;
    super::reactions::remove(&db, &actor, id, seq, &emoji).await?;
    Ok(Reply::new(Empty {}))
}
