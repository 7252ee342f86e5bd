//! The hub: this node's sockets and the topics each one listens to.
//!
//! Routing never waits on a socket. Each socket has a bounded queue; when it
//! is full the socket is dropped from every topic and flagged, and its task
//! sends `resync_required` and closes. A slow client never slows anyone else.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::ws::Utf8Bytes;
use tokio::sync::{mpsc, OnceCell};
use uuid::Uuid;

use super::bus::{Deliver, EventBus, Topic};
use super::Event;

pub type SocketId = u64;

/// How long closing every socket after a bus outage takes, end to end.
pub const RECONNECT_SPREAD: std::time::Duration = std::time::Duration::from_secs(2);

/// One event on its way to sockets, serialised once per node.
#[derive(Debug)]
pub struct Delivery {
    pub topic: Topic,
    pub event: Event,
    pub json: Utf8Bytes,
}

/// What a socket's task holds: its queue and its lag flag.
pub struct SocketHandle {
    pub id: SocketId,
    pub rx: mpsc::Receiver<Arc<Delivery>>,
    pub lagged: Arc<AtomicBool>,
}

struct SocketEntry {
    member: Uuid,
    tx: mpsc::Sender<Arc<Delivery>>,
    lagged: Arc<AtomicBool>,
    topics: Vec<Topic>,
}

struct TopicEntry {
    sockets: Vec<SocketId>,
    /// Set once the bus confirmed the subscription.
    ready: Arc<OnceCell<()>>,
}

#[derive(Default)]
struct Inner {
    topics: HashMap<Topic, TopicEntry>,
    sockets: HashMap<SocketId, SocketEntry>,
}

pub struct Hub {
    bus: Arc<dyn EventBus>,
    inner: Mutex<Inner>,
    next_id: AtomicU64,
    queue: usize,
}

impl Hub {
    /// `queue`: how many undelivered events a socket may have before it is
    /// considered lagging.
    pub fn new(bus: Arc<dyn EventBus>, queue: usize) -> Arc<Hub> {
        let hub =
            Arc::new(Hub { bus: bus.clone(), inner: Mutex::default(), next_id: AtomicU64::new(1), queue });
        let target: std::sync::Weak<dyn Deliver> = Arc::downgrade(&hub) as std::sync::Weak<dyn Deliver>;
        bus.attach(target);
        hub
    }

    pub fn bus(&self) -> &Arc<dyn EventBus> {
        &self.bus
    }

    /// Registers a socket; it receives nothing until it subscribes.
    pub fn register(&self, member: Uuid) -> SocketHandle {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(self.queue);
        let lagged = Arc::new(AtomicBool::new(false));
        let entry = SocketEntry { member, tx, lagged: lagged.clone(), topics: Vec::new() };
        self.inner.lock().unwrap().sockets.insert(id, entry);
        metrics::gauge!("realtime_sockets").increment(1.0);
        SocketHandle { id, rx, lagged }
    }

    /// Adds a socket to a topic. Returns once events on the topic are
    /// certain to reach this node, so a replay started afterwards cannot miss
    /// anything.
    pub async fn subscribe(&self, id: SocketId, topic: Topic) -> Result<(), String> {
        let ready = {
            let mut guard = self.inner.lock().unwrap();
            let inner = &mut *guard;
            let Some(socket) = inner.sockets.get_mut(&id) else { return Ok(()) };
            if socket.topics.contains(&topic) {
                return Ok(());
            }
            socket.topics.push(topic);
            let entry = inner
                .topics
                .entry(topic)
                .or_insert_with(|| TopicEntry { sockets: Vec::new(), ready: Arc::new(OnceCell::new()) });
            entry.sockets.push(id);
            entry.ready.clone()
        };
        ready.get_or_try_init(|| self.bus.subscribe(topic)).await.map(|_| ())
    }

    /// Removes a socket from one topic (it left the channel).
    pub fn unsubscribe(&self, id: SocketId, topic: Topic) {
        let mut guard = self.inner.lock().unwrap();
        let inner = &mut *guard;
        if let Some(s) = inner.sockets.get_mut(&id) {
            s.topics.retain(|t| *t != topic);
        }
        if let Some(e) = inner.topics.get_mut(&topic) {
            e.sockets.retain(|s| *s != id);
        }
    }

    /// Forgets a socket (its connection ended).
    pub fn remove(&self, id: SocketId) {
        remove_locked(&mut self.inner.lock().unwrap(), id);
    }

    /// Routes an event to the local sockets on its topic. `json` is the
    /// event already serialised, when it came from the bus that way.
    pub fn deliver(&self, topic: Topic, event: Event, json: Option<String>) {
        let json = match json {
            Some(j) => j,
            None => match serde_json::to_string(&event) {
                Ok(j) => j,
                Err(_) => return,
            },
        };
        let d = Arc::new(Delivery { topic, event, json: Utf8Bytes::from(json) });
        let mut guard = self.inner.lock().unwrap();
        let inner = &mut *guard;
        let Some(entry) = inner.topics.get_mut(&topic) else { return };
        let mut dropped = Vec::new();
        for id in &entry.sockets {
            let Some(s) = inner.sockets.get(id) else { continue };
            match s.tx.try_send(d.clone()) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    s.lagged.store(true, Ordering::Release);
                    metrics::counter!("realtime_lagging_sockets_total").increment(1);
                    dropped.push(*id);
                }
                Err(mpsc::error::TrySendError::Closed(_)) => dropped.push(*id),
            }
        }
        // A member removed from a channel stops receiving it at once: this
        // event is the last one their sockets get from it.
        if let (Event::MemberLeft { user, .. }, Topic::Channel(_)) = (&d.event, topic) {
            let leaving: Vec<SocketId> = entry
                .sockets
                .iter()
                .copied()
                .filter(|id| inner.sockets.get(id).is_some_and(|s| s.member == *user))
                .collect();
            entry.sockets.retain(|id| !leaving.contains(id));
            for id in leaving {
                if let Some(s) = inner.sockets.get_mut(&id) {
                    s.topics.retain(|t| *t != topic);
                }
            }
        }
        for id in dropped {
            remove_locked(inner, id);
        }
    }

    /// Drops topics no local socket listens to any more, and unsubscribes
    /// the node from them.
    pub async fn sweep(&self) {
        let pick = Box::new(|| {
            let mut guard = self.inner.lock().unwrap();
            let empty: Vec<Topic> =
                guard.topics.iter().filter(|(_, e)| e.sockets.is_empty()).map(|(t, _)| *t).collect();
            for t in &empty {
                guard.topics.remove(t);
            }
            empty
        });
        self.bus.sweep(pick).await;
    }

    /// Sockets and topics on this node (for metrics and tests).
    pub fn counts(&self) -> (usize, usize) {
        let g = self.inner.lock().unwrap();
        (g.sockets.len(), g.topics.len())
    }
}

impl Deliver for Hub {
    fn deliver(&self, topic: Topic, event: Event, json: Option<String>) {
        Hub::deliver(self, topic, event, json)
    }

    /// Closes every local socket (1001), spread over [`RECONNECT_SPREAD`] so
    /// that their clients do not all come back at once. Each client then
    /// reconnects with jitter and resumes, replaying what it missed, without
    /// reloading the page.
    fn reconnect_all(self: Arc<Self>, why: &str) {
        let ids: Vec<SocketId> = self.inner.lock().unwrap().sockets.keys().copied().collect();
        tracing::warn!(sockets = ids.len(), why, "asking all sockets to reconnect and resume");
        if ids.is_empty() {
            return;
        }
        let hub = Arc::downgrade(&self);
        tokio::spawn(async move {
            let slices = 20u32;
            let per = ids.len().div_ceil(slices as usize);
            for chunk in ids.chunks(per) {
                let Some(hub) = hub.upgrade() else { return };
                {
                    let mut guard = hub.inner.lock().unwrap();
                    for id in chunk {
                        remove_locked(&mut guard, *id);
                    }
                }
                tokio::time::sleep(RECONNECT_SPREAD / slices).await;
            }
        });
    }
}

fn remove_locked(inner: &mut Inner, id: SocketId) {
    let Some(s) = inner.sockets.remove(&id) else { return };
    metrics::gauge!("realtime_sockets").decrement(1.0);
    for t in s.topics {
        if let Some(e) = inner.topics.get_mut(&t) {
            e.sockets.retain(|x| *x != id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realtime::bus::LocalBus;

    fn left(channel: Uuid, user: Uuid) -> Event {
        Event::MemberLeft { channel, user }
    }

    #[tokio::test]
    async fn a_full_queue_flags_only_the_slow_socket() {
        let hub = Hub::new(Arc::new(LocalBus::default()), 2);
        let c = Uuid::from_u128(1);
        let mut slow = hub.register(Uuid::from_u128(10));
        let mut fast = hub.register(Uuid::from_u128(11));
        hub.subscribe(slow.id, Topic::Channel(c)).await.unwrap();
        hub.subscribe(fast.id, Topic::Channel(c)).await.unwrap();
        for i in 0..3 {
            hub.deliver(Topic::Channel(c), left(c, Uuid::from_u128(100 + i)), None);
            assert!(fast.rx.recv().await.is_some());
        }
        assert!(slow.lagged.load(Ordering::Acquire));
        assert!(!fast.lagged.load(Ordering::Acquire));
        assert_eq!(hub.counts().0, 1, "the slow socket is gone from the hub");
        let _ = slow.rx.recv().await;
    }

    #[tokio::test]
    async fn member_left_is_the_last_channel_event_the_member_gets() {
        let hub = Hub::new(Arc::new(LocalBus::default()), 16);
        let (c, kicked, stays) = (Uuid::from_u128(1), Uuid::from_u128(10), Uuid::from_u128(11));
        let mut k = hub.register(kicked);
        let mut s = hub.register(stays);
        for h in [&k, &s] {
            hub.subscribe(h.id, Topic::Channel(c)).await.unwrap();
        }
        hub.deliver(Topic::Channel(c), left(c, kicked), None);
        hub.deliver(Topic::Channel(c), left(c, Uuid::from_u128(99)), None);
        assert_eq!(k.rx.recv().await.unwrap().event, left(c, kicked));
        assert!(k.rx.try_recv().is_err(), "nothing after the kick");
        assert_eq!(s.rx.recv().await.unwrap().event, left(c, kicked));
        assert_eq!(s.rx.recv().await.unwrap().event, left(c, Uuid::from_u128(99)));
        hub.remove(k.id);
        hub.sweep().await;
        assert_eq!(hub.counts(), (1, 1));
    }
}
