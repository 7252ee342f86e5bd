//! Turning committed actions into events. Server functions call these after
//! the action's transaction commits, so an event never announces something
//! that could still roll back. A failed publish is logged, never returned:
//! the data is safe in Postgres and clients catch up when they resume.

use std::sync::Arc;

use sqlx::PgPool;
use uuid::Uuid;

use super::bus::Topic;
use super::service::Realtime;
use super::{ChannelSummary, Event};
use crate::auth::Actor;
use crate::messages::Message;

fn rt() -> Option<(Arc<Realtime>, PgPool)> {
    crate::state::state().ok().map(|s| (s.rt.clone(), s.db.clone()))
}

/// A new message, plus the thread root's new reply count for a reply.
pub async fn message_created(m: &Message) {
    let Some((rt, db)) = rt() else { return };
    message_created_on(&rt, &db, m).await;
}

/// [`message_created`] outside a server function (the upload route).
pub async fn message_created_on(rt: &Realtime, db: &PgPool, m: &Message) {
    rt.to_channel(m.channel, Event::MessageCreated { message: m.clone() }).await;
    if let Some(root) = m.thread_seq {
        let r = sqlx::query!(
            "select reply_count, last_reply_at from message where channel_id = $1 and seq = $2",
            m.channel,
            root
        )
        .fetch_optional(db)
        .await;
        if let Ok(Some(r)) = r {
            let ev = Event::ThreadReply {
                channel: m.channel,
                thread_seq: root,
                reply_count: r.reply_count,
                last_reply_at: r.last_reply_at,
                user: m.user,
            };
            rt.to_channel(m.channel, ev).await;
        }
    }
}

pub async fn message_updated(m: &Message) {
    let Some((rt, _)) = rt() else { return };
    rt.to_channel(m.channel, Event::MessageUpdated { message: m.clone() }).await;
}

pub async fn message_deleted(channel: Uuid, seq: i64, thread_seq: Option<i64>) {
    let Some((rt, _)) = rt() else { return };
    rt.to_channel(channel, Event::MessageDeleted { channel, seq, thread_seq }).await;
}

/// A reaction added or removed; `input` was accepted by the action, so it
/// names a known emoji.
pub async fn reaction(actor: &Actor, channel: Uuid, seq: i64, input: &str, added: bool) {
    let Some((rt, db)) = rt() else { return };
    let Some(e) = crate::messages::markdown::canonical_emoji(input) else { return };
    let reaction = e.shortcode().unwrap_or(e.as_str()).to_string();
    let emoji = e.as_str().to_string();
    let user = actor.member_id;
    let ev = if added {
        let user_name = sqlx::query_scalar!("select display_name from member where member_id = $1", user)
            .fetch_one(&db)
            .await
            .unwrap_or_default();
        Event::ReactionAdded { channel, seq, reaction, emoji, user, user_name }
    } else {
        Event::ReactionRemoved { channel, seq, reaction, emoji, user }
    };
    rt.to_channel(channel, ev).await;
}

async fn summary(db: &PgPool, channel: Uuid) -> Option<(ChannelSummary, Uuid, Vec<Uuid>)> {
    let r = sqlx::query!(
        r#"select c.name, c.kind, c.topic, c.purpose, c.archived_at is not null as "archived!", c.workspace_id,
                  array(select member_id from channel_member m where m.channel_id = c.channel_id) as "members!"
           from channel c where c.channel_id = $1"#,
        channel
    )
    .fetch_optional(db)
    .await
    .ok()??;
    let s = ChannelSummary {
        id: channel,
        name: r.name,
        is_private: r.kind != "public",
        is_dm: r.kind == "dm" || r.kind == "group_dm",
        is_archived: r.archived,
        topic: r.topic,
        purpose: r.purpose,
    };
    Some((s, r.workspace_id, r.members))
}

/// A new channel or DM: its members learn of it on their own topics (and
/// subscribe); a public channel is also announced workspace-wide.
pub async fn channel_created(channel: Uuid) {
    let Some((rt, db)) = rt() else { return };
    let Some((s, ws, members)) = summary(&db, channel).await else { return };
    let ev = Event::ChannelCreated { channel: s.clone() };
    if !s.is_private {
        rt.publish(Topic::Workspace(ws), &ev).await;
    }
    for m in members {
        if s.is_private {
            rt.publish(Topic::Member(m), &ev).await;
        }
        rt.publish(Topic::Member(m), &Event::MemberJoined { channel, user: m }).await;
    }
}

/// Name, topic or purpose changed.
pub async fn channel_updated(channel: Uuid) {
    let Some((rt, db)) = rt() else { return };
    let Some((s, ws, _)) = summary(&db, channel).await else { return };
    let ev = Event::ChannelUpdated { channel: s.clone() };
    if s.is_private {
        rt.to_channel(channel, ev).await;
    } else {
        rt.publish(Topic::Workspace(ws), &ev).await;
    }
}

pub async fn channel_archived(channel: Uuid, archived: bool) {
    let Some((rt, _)) = rt() else { return };
    rt.to_channel(channel, Event::ChannelArchived { channel, archived }).await;
}

/// People joined: the channel sees it, and each newcomer's sockets learn it
/// on their own topic and subscribe to the channel.
pub async fn members_joined(channel: Uuid, users: &[Uuid]) {
    let Some((rt, _)) = rt() else { return };
    for user in users {
        let ev = Event::MemberJoined { channel, user: *user };
        rt.publish(Topic::Member(*user), &ev).await;
        rt.to_channel(channel, ev).await;
    }
}

/// Someone left or was removed: the hub stops their delivery at once.
pub async fn member_left(channel: Uuid, user: Uuid) {
    let Some((rt, _)) = rt() else { return };
    let ev = Event::MemberLeft { channel, user };
    rt.to_channel(channel, ev.clone()).await;
    rt.publish(Topic::Member(user), &ev).await;
}

/// The caller read up to `seq`: their other tabs clear the badge.
pub async fn read_marker(actor: &Actor, channel: Uuid, seq: i64) {
    let Some((rt, _)) = rt() else { return };
    rt.publish(Topic::Member(actor.member_id), &Event::ReadMarker { channel, seq }).await;
}
