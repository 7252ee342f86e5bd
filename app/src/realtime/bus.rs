//! The event bus: how an event published by an action on one node reaches
//! the hubs of every node with sockets that need it.
//!
//! Two implementations behind one trait: [`LocalBus`] hands events straight
//! to this process's hub (one node, the default), and
//! [`super::redis_bus::RedisBus`] also fans them out through Redis pub/sub
//! (`REDIS_URL` set). Each node subscribes only to the topics its own
//! sockets need, and unsubscribes lazily (see [`super::hub::Hub::sweep`]).
//!
//! Publishing never waits: it delivers to this node's sockets at once and
//! queues the event for other nodes. So a send never waits on Redis, and a
//! node keeps serving its own sockets while Redis is away.
//!
//! The bus knows its receiver only through [`Deliver`], so this module does
//! not depend on the hub that depends on it.

use std::future::Future;
use std::pin::Pin;
use std::sync::{OnceLock, Weak};

use uuid::Uuid;

use super::{Event, Stamped};

pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where an event goes: everyone in a channel, everyone in a workspace, or
/// one member's own sockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    Channel(Uuid),
    Workspace(Uuid),
    Member(Uuid),
}

impl Topic {
    /// The Redis channel name.
    pub fn key(&self) -> String {
        match self {
            Topic::Channel(id) => format!("ts:c:{id}"),
            Topic::Workspace(id) => format!("ts:w:{id}"),
            Topic::Member(id) => format!("ts:m:{id}"),
        }
    }

    pub fn parse(key: &str) -> Option<Topic> {
        let (kind, id) = key.strip_prefix("ts:")?.split_once(':')?;
        let id = Uuid::parse_str(id).ok()?;
        match kind {
            "c" => Some(Topic::Channel(id)),
            "w" => Some(Topic::Workspace(id)),
            "m" => Some(Topic::Member(id)),
            _ => None,
        }
    }
}

/// What the bus hands events to: this node's hub.
pub trait Deliver: Send + Sync + 'static {
    /// Routes one event to the local sockets on `topic`; `json` is the
    /// event already serialised, when it is at hand.
    fn deliver(&self, topic: Topic, event: Event, json: Option<String>);
    /// The bus lost events while it was cut off (a Redis outage): every
    /// socket must reconnect and resume.
    fn reconnect_all(self: std::sync::Arc<Self>, why: &str);
}

/// Picks the topics to drop, called with the bus's subscription lock held.
pub type Pick<'a> = Box<dyn FnOnce() -> Vec<Topic> + Send + 'a>;

/// Publishes events and keeps this node subscribed to what it needs.
pub trait EventBus: Send + Sync + 'static {
    /// Delivers an event to this node's sockets on `topic` and queues it
    /// for every other node subscribed to it. Never waits and never fails
    /// the caller: the action has committed, and a client that misses the
    /// event gets it from history when it resumes.
    fn publish(&self, topic: Topic, event: &Stamped);
    /// Returns once events on `topic` are certain to reach this node, or at
    /// once when the bus is degraded (the subscription is then restored
    /// when the bus reconnects, and the socket told to resume).
    fn subscribe(&self, topic: Topic) -> BoxFut<'_, Result<(), String>>;
    /// Unsubscribes from the topics `pick` returns, with subscriptions
    /// serialised, so that a concurrent subscribe always lands after it.
    fn sweep<'a>(&'a self, pick: Pick<'a>) -> BoxFut<'a, ()>;
    /// Connects the bus to the hub it delivers to.
    fn attach(&self, target: Weak<dyn Deliver>);
    fn name(&self) -> &'static str;
    /// False while the bus cannot reach other nodes (Redis is down).
    fn healthy(&self) -> bool {
        true
    }
    /// Counts the bus's (re)connections: a change means other nodes' state
    /// (presence in Redis) may have been lost and must be written again.
    fn epoch(&self) -> u64 {
        0
    }
}

/// One process: publishing is delivering.
#[derive(Default)]
pub struct LocalBus {
    target: OnceLock<Weak<dyn Deliver>>,
}

impl EventBus for LocalBus {
    fn publish(&self, topic: Topic, event: &Stamped) {
        if let Some(t) = self.target.get().and_then(Weak::upgrade) {
            t.deliver(topic, event.event.clone(), serde_json::to_string(event).ok());
        }
    }
    fn subscribe(&self, _topic: Topic) -> BoxFut<'_, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
    fn sweep<'a>(&'a self, pick: Pick<'a>) -> BoxFut<'a, ()> {
        pick();
        Box::pin(async {})
    }
    fn attach(&self, target: Weak<dyn Deliver>) {
        let _ = self.target.set(target);
    }
    fn name(&self) -> &'static str {
        "local"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_round_trip_through_their_redis_names() {
        let id = Uuid::from_u128(42);
        for t in [Topic::Channel(id), Topic::Workspace(id), Topic::Member(id)] {
            assert_eq!(Topic::parse(&t.key()), Some(t));
        }
        assert_eq!(Topic::parse("ts:x:00000000-0000-0000-0000-000000000000"), None);
        assert_eq!(Topic::parse("other"), None);
    }
}
