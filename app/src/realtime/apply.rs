//! Applying events to loaded messages: shared by the browser (feed and
//! thread pane) and tested here once.

use uuid::Uuid;

use super::Event;
use crate::messages::Message;

impl Event {
    /// Applies an edit, delete, reaction or reply count to a loaded copy of
    /// the message it is about; says whether it changed anything.
    pub fn apply_to(&self, m: &mut Message) -> bool {
        match self {
            Event::MessageUpdated { message } if message.channel == m.channel && message.seq == m.seq => {
                *m = message.clone();
                true
            }
            Event::MessageDeleted { channel, seq, .. } if *channel == m.channel && *seq == m.seq => {
                m.tombstone();
                true
            }
            Event::ThreadReply { channel, thread_seq, reply_count, last_reply_at, .. }
                if *channel == m.channel && *thread_seq == m.seq =>
            {
                m.reply_count = *reply_count;
                m.last_reply_at = *last_reply_at;
                true
            }
            Event::ReactionAdded { channel, seq, reaction, emoji, user, user_name }
                if *channel == m.channel && *seq == m.seq =>
            {
                m.add_reaction(reaction, emoji, *user, user_name)
            }
            Event::ReactionRemoved { channel, seq, emoji, user, .. }
                if *channel == m.channel && *seq == m.seq =>
            {
                m.remove_reaction(emoji, *user)
            }
            _ => false,
        }
    }

    /// The channel an event is about, if any.
    pub fn channel(&self) -> Option<Uuid> {
        match self {
            Event::MessageCreated { message } | Event::MessageUpdated { message } => Some(message.channel),
            Event::MessageDeleted { channel, .. }
            | Event::HistoryTrimmed { channel, .. }
            | Event::ReactionAdded { channel, .. }
            | Event::ReactionRemoved { channel, .. }
            | Event::ThreadReply { channel, .. }
            | Event::ChannelArchived { channel, .. }
            | Event::MemberJoined { channel, .. }
            | Event::MemberLeft { channel, .. }
            | Event::ReadMarker { channel, .. }
            | Event::Typing { channel, .. } => Some(*channel),
            Event::ChannelCreated { channel } | Event::ChannelUpdated { channel } => Some(channel.id),
            Event::Presence { .. }
            | Event::MemberUpdated { .. }
            | Event::ProfileUpdated { .. }
            | Event::WorkspaceUpdated { .. }
            | Event::NotifyPrefsChanged { .. }
            | Event::ThreadFollow { .. }
            | Event::AuthRevoked { .. } => None,
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use time::OffsetDateTime;

    use super::*;

    /// A message for tests of events (channel 1, seq 5).
    pub(in crate::realtime) fn msg() -> Message {
        Message {
            channel: Uuid::from_u128(1),
            seq: 5,
            user: Uuid::from_u128(2),
            user_name: "Alice".into(),
            user_deactivated: false,
            text: "hi".into(),
            html: "<p>hi</p>".into(),
            thread_seq: None,
            also_in_channel: false,
            reply_count: 0,
            last_reply_at: None,
            reactions: vec![],
            mentions: vec![],
            mentions_all: false,
            client_msg_id: None,
            is_deleted: false,
            files: vec![],
            edited_at: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn reactions_apply_once_per_person_and_vanish_at_zero() {
        let mut m = msg();
        let (c, bob, eve) = (m.channel, Uuid::from_u128(3), Uuid::from_u128(4));
        let add = |user, name: &str| Event::ReactionAdded {
            channel: c,
            seq: 5,
            reaction: "tada".into(),
            emoji: "🎉".into(),
            user,
            user_name: name.into(),
        };
        assert!(add(bob, "Bob").apply_to(&mut m));
        assert!(!add(bob, "Bob").apply_to(&mut m), "a repeat changes nothing");
        assert!(add(eve, "Eve").apply_to(&mut m));
        assert_eq!(
            (m.reactions[0].count, m.reactions[0].names.clone()),
            (2, vec!["Bob".to_string(), "Eve".into()])
        );
        let remove = |user| Event::ReactionRemoved {
            channel: c,
            seq: 5,
            reaction: "tada".into(),
            emoji: "🎉".into(),
            user,
        };
        assert!(remove(bob).apply_to(&mut m));
        assert!(!remove(bob).apply_to(&mut m));
        assert!(remove(eve).apply_to(&mut m));
        assert!(m.reactions.is_empty());
        assert!(!add(bob, "Bob").apply_to(&mut Message { seq: 6, ..msg() }), "another message is untouched");
        assert!(Event::MessageDeleted { channel: c, seq: 5, thread_seq: None }.apply_to(&mut m));
        assert!(m.is_deleted && m.text.is_empty() && m.html.is_empty());
    }
}
