//! The Web API of notification preferences: `users.prefs.*`, `dnd.*`, a
//! conversation's `conversations.setNotificationPref` / `mute` / `unmute`,
//! and `threads.follow` / `unfollow`. Every method acts on the caller's own
//! preferences only; the changes take the write budget and, when they change
//! something, send `notify_prefs_changed` to the caller's own sockets.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Prefs, Schedule};
use crate::api::{Empty, Reply};
use crate::error::AppError;

/// The caller's notification preferences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrefsReply {
    pub prefs: Prefs,
    /// From `users.prefs.get` only: the threads the caller follows (the 500
    /// most recent), whose replies notify at the mentions level.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub threads: Vec<ThreadRef>,
    /// From `users.prefs.get` only: the VAPID public key a browser passes
    /// to `pushManager.subscribe` before `push.subscribe`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub push_key: String,
}

/// A thread: its channel and its root's seq.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ThreadRef {
    pub channel: Uuid,
    pub thread_seq: i64,
}

#[cfg(feature = "ssr")]
fn reply(prefs: Prefs) -> Reply<PrefsReply> {
    Reply::new(PrefsReply { prefs, threads: vec![], push_key: String::new() })
}

#[cfg(feature = "ssr")]
async fn caller() -> Result<(crate::auth::Actor, crate::core::ctx::Ctx), AppError> {
    Ok((crate::auth::session::require_actor().await?, crate::core::ctx::Ctx::current()?))
}

/// The caller's preferences: default level, keywords, do-not-disturb, the
/// conversations that differ from the default, and the followed threads.
#[server(prefix = "/api", endpoint = "users.prefs.get", input = server_fn::codec::Json)]
pub async fn get() -> Result<Reply<PrefsReply>, AppError> {
    let (actor, ctx) = caller().await?;
    let prefs = super::store::get(&ctx, &actor).await?;
    let threads = super::store::followed_threads(&ctx, &actor).await?;
    let threads =
        threads.into_iter().map(|(channel, thread_seq)| ThreadRef { channel, thread_seq }).collect();
    let push_key = crate::state::state()?.push.public_key.clone();
    Ok(Reply::new(PrefsReply { prefs, threads, push_key }))
}

/// Changes the caller's default (`level`: all, mentions or nothing), keywords
/// (up to 50; replaces the list) and when missed DMs and mentions are mailed
/// (`missed_mail`: soon, hourly or never). Omitted fields stay as they are.
#[server(prefix = "/api", endpoint = "users.prefs.set", input = server_fn::codec::Json)]
pub async fn set(
    level: Option<String>,
    keywords: Option<Vec<String>>,
    missed_mail: Option<String>,
) -> Result<Reply<PrefsReply>, AppError> {
    let (actor, ctx) = caller().await?;
    let change = super::store::Change { level, keywords, missed_mail, ..Default::default() };
    Ok(reply(super::store::set(&ctx, &actor, change).await?))
}

/// Do-not-disturb as it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dnd {
    #[serde(with = "time::serde::rfc3339::option")]
    pub snooze_until: Option<time::OffsetDateTime>,
    pub schedule: Option<Schedule>,
    pub time_zone: String,
}

impl From<Prefs> for Dnd {
    fn from(p: Prefs) -> Dnd {
        let live = p.dnd_until.filter(|u| *u > time::OffsetDateTime::now_utc());
        Dnd { snooze_until: live, schedule: p.schedule, time_zone: p.time_zone }
    }
}

/// The caller's do-not-disturb: a snooze's end, the daily schedule and the
/// time zone it is read in.
#[server(prefix = "/api", endpoint = "dnd.info", input = server_fn::codec::Json)]
pub async fn dnd_info() -> Result<Reply<Dnd>, AppError> {
    let (actor, ctx) = caller().await?;
    Ok(Reply::new(super::store::get(&ctx, &actor).await?.into()))
}

/// Snoozes for `snooze_minutes` (1–10080) from now and/or sets the daily quiet
/// period (`schedule`: `"22:00-08:00"` in the caller's time zone, `""` for none).
#[server(prefix = "/api", endpoint = "dnd.set", input = server_fn::codec::Json)]
pub async fn dnd_set(
    snooze_minutes: Option<i64>,
    schedule: Option<String>,
) -> Result<Reply<PrefsReply>, AppError> {
    if snooze_minutes == Some(0) {
        return Err(AppError::InvalidArguments(
            "snooze_minutes must be between 1 and 10080; dnd.end ends a snooze".into(),
        ));
    }
    let (actor, ctx) = caller().await?;
    let change = super::store::Change { snooze_minutes, schedule, ..Default::default() };
    Ok(reply(super::store::set(&ctx, &actor, change).await?))
}

/// Ends the caller's snooze (the daily schedule stays).
#[server(prefix = "/api", endpoint = "dnd.end", input = server_fn::codec::Json)]
pub async fn dnd_end() -> Result<Reply<PrefsReply>, AppError> {
    let (actor, ctx) = caller().await?;
    let change = super::store::Change { snooze_minutes: Some(0), ..Default::default() };
    Ok(reply(super::store::set(&ctx, &actor, change).await?))
}

/// Sets what one conversation the caller is in notifies about: `all`,
/// `mentions`, `nothing`, or `default` to follow the caller's default.
#[server(prefix = "/api", endpoint = "conversations.setNotificationPref", input = server_fn::codec::Json)]
pub async fn set_channel_level(channel: Uuid, level: String) -> Result<Reply<PrefsReply>, AppError> {
    let (actor, ctx) = caller().await?;
    Ok(reply(super::store::set_channel(&ctx, &actor, channel, None, Some(level)).await?))
}

/// Mutes a conversation the caller is in: not bold, not counted, never notifies.
#[server(prefix = "/api", endpoint = "conversations.mute", input = server_fn::codec::Json)]
pub async fn mute(channel: Uuid) -> Result<Reply<PrefsReply>, AppError> {
    let (actor, ctx) = caller().await?;
    Ok(reply(super::store::set_channel(&ctx, &actor, channel, Some(true), None).await?))
}

/// Unmutes a conversation the caller is in.
#[server(prefix = "/api", endpoint = "conversations.unmute", input = server_fn::codec::Json)]
pub async fn unmute(channel: Uuid) -> Result<Reply<PrefsReply>, AppError> {
    let (actor, ctx) = caller().await?;
    Ok(reply(super::store::set_channel(&ctx, &actor, channel, Some(false), None).await?))
}

/// Follows a thread of a conversation the caller can read: its replies
/// notify the caller at the mentions level.
#[server(prefix = "/api", endpoint = "threads.follow", input = server_fn::codec::Json)]
pub async fn follow(channel: Uuid, thread_seq: i64) -> Result<Reply<Empty>, AppError> {
    let (actor, ctx) = caller().await?;
    super::store::set_following(&ctx, &actor, channel, thread_seq, true).await?;
    Ok(Reply::new(Empty {}))
}

/// Stops following a thread.
#[server(prefix = "/api", endpoint = "threads.unfollow", input = server_fn::codec::Json)]
pub async fn unfollow(channel: Uuid, thread_seq: i64) -> Result<Reply<Empty>, AppError> {
    let (actor, ctx) = caller().await?;
    super::store::set_following(&ctx, &actor, channel, thread_seq, false).await?;
    Ok(Reply::new(Empty {}))
}
