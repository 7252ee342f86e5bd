//! What a guest's socket may hear from the workspace topic. Guests see only
//! the channels they were invited to and the people who share them
//! (docs/authorization.md): the directory and profiles are limited that way
//! (`users::queries::visible_to`), and so are the live events. Workspace-wide
//! announcements of other channels, and presence, role and profile changes
//! of other people, are dropped here before they are sent.

use std::collections::HashSet;

use app::auth::Actor;
use app::realtime::Event;
use sqlx::PgPool;
use uuid::Uuid;

/// The people a guest shares a channel with (itself included).
pub(super) struct Peers(HashSet<Uuid>);

impl Peers {
    /// `None` for anyone but a guest (they hear the whole workspace).
    pub async fn load(db: &PgPool, actor: &Actor) -> Result<Option<Peers>, app::error::AppError> {
        Ok(app::users::queries::visible_to(db, actor).await?.map(|ids| Peers(ids.into_iter().collect())))
    }

    /// Someone joined one of the guest's channels: a new peer.
    pub fn add(&mut self, user: Uuid) {
        self.0.insert(user);
    }

    /// Whether an event of the workspace topic is for this guest, whose
    /// channels are `channels`.
    pub fn admits(&self, event: &Event, channels: &HashSet<Uuid>) -> bool {
        match event {
            Event::ChannelCreated { channel } | Event::ChannelUpdated { channel } => {
                channels.contains(&channel.id)
            }
            Event::Presence { user, .. } | Event::MemberUpdated { user, .. } => self.0.contains(user),
            Event::ProfileUpdated { profile } => self.0.contains(&profile.id),
            _ => true,
        }
    }
}
