//! The events of channel actions, built from what the action wrote: who
//! hears about a new, changed, joined or left channel, and on which topic.

use uuid::Uuid;

use super::ChannelKind;
use crate::core::tx::Tx;
use crate::realtime::bus::Topic;
use crate::realtime::{ChannelSummary, Event};

/// The summary every member may see, as a `returning` clause reads it.
pub(super) struct SummaryRow {
    pub workspace_id: Uuid,
    pub name: Option<String>,
    pub kind: String,
    pub topic: String,
    pub purpose: String,
    pub archived: bool,
}

impl SummaryRow {
    pub(super) fn into_summary(self, id: Uuid) -> (ChannelSummary, Uuid) {
        let kind = ChannelKind::parse(&self.kind).unwrap_or(ChannelKind::Private);
        let s = ChannelSummary {
            id,
            name: self.name,
            is_private: kind != ChannelKind::Public,
            is_dm: kind.is_dm(),
            is_archived: self.archived,
            topic: self.topic,
            purpose: self.purpose,
        };
        (s, self.workspace_id)
    }
}

/// A changed name, topic or purpose: public channels tell the whole
/// workspace (the channel browser shows them), others only their members.
pub(super) fn announce_updated(tx: &mut Tx, row: SummaryRow, channel: Uuid) {
    let (summary, workspace) = row.into_summary(channel);
    let topic = if summary.is_private { Topic::Channel(channel) } else { Topic::Workspace(workspace) };
    tx.emit(topic, Event::ChannelUpdated { channel: summary });
}

/// People joined: the channel sees it, and each newcomer's sockets learn it
/// on their own topic (and subscribe to the channel).
pub(super) fn announce_joined(tx: &mut Tx, channel: Uuid, users: &[Uuid]) {
    for user in users {
        let ev = Event::MemberJoined { channel, user: *user };
        tx.emit(Topic::Member(*user), ev.clone());
        tx.emit(Topic::Channel(channel), ev);
    }
}

/// Someone left or was removed: the channel's last event for them.
pub(super) fn announce_left(tx: &mut Tx, channel: Uuid, user: Uuid) {
    let ev = Event::MemberLeft { channel, user };
    tx.emit(Topic::Channel(channel), ev.clone());
    tx.emit(Topic::Member(user), ev);
}

/// A new channel or DM: members learn of it on their own topics; a public
/// channel is also announced workspace-wide.
pub(super) fn announce_created(tx: &mut Tx, summary: ChannelSummary, workspace: Uuid, members: &[Uuid]) {
    let channel = summary.id;
    let ev = Event::ChannelCreated { channel: summary.clone() };
    if !summary.is_private {
        tx.emit(Topic::Workspace(workspace), ev.clone());
    }
    for m in members {
        if summary.is_private {
            tx.emit(Topic::Member(*m), ev.clone());
        }
        tx.emit(Topic::Member(*m), Event::MemberJoined { channel, user: *m });
    }
}
