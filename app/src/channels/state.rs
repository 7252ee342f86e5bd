//! The sidebar's state, kept from events: unread flags, mention badges,
//! names, topics and membership follow the events a member receives, so
//! the browser does not reload every conversation (`users.conversations`)
//! for each event. The browser and the server's consistency test
//! (`server/tests/event_consistency.rs`) fold events with this one reducer.
//!
//! A jump in a channel's seqs ([`gap`]) means an event was missed: that
//! conversation is reloaded, and the open feed fetches the missing range.
//!
//! What one event cannot tell (which of a deleted message's mentions were
//! unread, a read marker moved backwards, a channel just joined) is answered
//! by reloading that one conversation (`conversations.info`), never the list.

use uuid::Uuid;

use super::Channel;
use crate::realtime::{Event, Stamped};

/// Most mentions counted per conversation (the server stops at 100 too).
pub const MENTION_CAP: i64 = 100;

/// What applying an event asks of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Followup {
    Nothing,
    /// Reload this one conversation with `conversations.info` and
    /// [`replace`] it (or drop it when that says `channel_not_found`).
    Reload(Uuid),
}

/// Applies one event to the conversations of member `me`.
pub fn apply(list: &mut Vec<Channel>, me: Uuid, ev: &Event) -> Followup {
    let find = |list: &mut Vec<Channel>, id: Uuid| list.iter_mut().position(|c| c.id == id);
    match ev {
        Event::MessageCreated { message: m } => {
            let Some(i) = find(list, m.channel) else { return Followup::Nothing };
            let c = &mut list[i];
            if m.seq <= c.latest_seq {
                return Followup::Nothing; // seen already (a retry's re-announcement)
            }
            c.latest_seq = m.seq;
            if m.user != me && m.seq > c.last_read && !m.is_deleted {
                if m.thread_seq.is_none() || m.also_in_channel {
                    c.has_unread = true;
                }
                let mentions_me = c.kind.is_dm() || m.mentions_all || m.mentions.contains(&me);
                if mentions_me {
                    c.mention_count = (c.mention_count + 1).min(MENTION_CAP);
                }
            }
            Followup::Nothing
        }
        // An edit can add or drop a mention; a delete can drop an unread
        // message: only the server knows the counts then.
        Event::MessageUpdated { message: m } => match find(list, m.channel) {
            Some(i) if m.user != me && m.seq > list[i].last_read => Followup::Reload(m.channel),
            _ => Followup::Nothing,
        },
        Event::MessageDeleted { channel, seq, .. } => match find(list, *channel) {
            Some(i) if *seq > list[i].last_read => Followup::Reload(*channel),
            _ => Followup::Nothing,
        },
        Event::HistoryTrimmed { channel, seqs } => match find(list, *channel) {
            Some(i) if seqs.iter().any(|s| *s > list[i].last_read) => Followup::Reload(*channel),
            _ => Followup::Nothing,
        },
        Event::ReadMarker { channel, seq } => {
            let Some(i) = find(list, *channel) else { return Followup::Nothing };
            let c = &mut list[i];
            let forward = *seq >= c.last_read;
            c.last_read = *seq;
            if *seq >= c.latest_seq {
                c.has_unread = false;
                c.mention_count = 0;
                Followup::Nothing
            } else if forward && !c.has_unread && c.mention_count == 0 {
                Followup::Nothing
            } else {
                Followup::Reload(*channel)
            }
        }
        Event::ChannelUpdated { channel: s } => {
            if let Some(i) = find(list, s.id) {
                let c = &mut list[i];
                if !c.kind.is_dm() {
                    c.name = s.name.clone();
                    c.display_name = s.name.clone().unwrap_or_default();
                }
                c.topic = s.topic.clone();
                c.purpose = s.purpose.clone();
                c.is_archived = s.is_archived;
                sort(list);
            }
            Followup::Nothing
        }
        Event::ChannelArchived { channel, archived } => {
            if let Some(i) = find(list, *channel) {
                list[i].is_archived = *archived;
            }
            Followup::Nothing
        }
        Event::MemberJoined { channel, user } => match find(list, *channel) {
            Some(i) if *user != me => {
                list[i].member_count += 1;
                Followup::Nothing
            }
            Some(_) => Followup::Nothing,
            None if *user == me => Followup::Reload(*channel),
            None => Followup::Nothing,
        },
        Event::MemberLeft { channel, user } => {
            if *user == me {
                list.retain(|c| c.id != *channel);
            } else if let Some(i) = find(list, *channel) {
                list[i].member_count -= 1;
            }
            Followup::Nothing
        }
        Event::ChannelCreated { .. }
        | Event::ReactionAdded { .. }
        | Event::ReactionRemoved { .. }
        | Event::ThreadReply { .. }
        | Event::Typing { .. }
        | Event::Presence { .. }
        | Event::MemberUpdated { .. }
        | Event::ProfileUpdated { .. }
        | Event::WorkspaceUpdated { .. }
        | Event::NotifyPrefsChanged { .. }
        | Event::ThreadFollow { .. }
        | Event::AuthRevoked { .. } => Followup::Nothing,
    }
}

/// The conversation whose messages this event shows were missed, with the
/// newest seq the member had there: check before [`apply`].
pub fn gap(list: &[Channel], ev: &Stamped) -> Option<(Uuid, i64)> {
    let id = ev.event.channel()?;
    let known = list.iter().find(|c| c.id == id)?.latest_seq;
    ev.gap(known).then_some((id, known))
}

/// Puts a reloaded conversation in place (`None`: the caller cannot see it).
pub fn replace(list: &mut Vec<Channel>, id: Uuid, fresh: Option<Channel>) {
    list.retain(|c| c.id != id);
    if let Some(c) = fresh.filter(|c| c.is_member) {
        list.push(c);
        sort(list);
    }
}

/// The server's order: by name (DMs have none), then id.
fn sort(list: &mut [Channel]) {
    list.sort_by(|a, b| {
        (a.name.as_deref().unwrap_or(""), a.id).cmp(&(b.name.as_deref().unwrap_or(""), b.id))
    });
}
