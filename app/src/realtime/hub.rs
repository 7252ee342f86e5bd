//! The hub: this node's sockets and the topics each one listens to.
//!
//! Routing never waits on a socket. Each socket has a bounded queue; when it
//! is full the socket is dropped from every topic and flagged, and its task
//! sends `resync_required` and closes. A slow client never slows anyone else.
//!
//! Why shards: with tens of thousands of sockets, one lock over every topic
//! made each delivery wait for every other delivery and every connect. Topics
//! are spread over [`SHARDS`] locks by hash, and a topic keeps its
//! subscribers' queues itself, so a delivery takes one shard's lock and
//! touches nothing else; sockets come and go under their own lock (taken
//! before a shard's, never after). Subscribers are sets, so removing one is
//! constant time. Each event is serialised once per node, not per socket.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
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

/// Locks the topics are spread over.
const SHARDS: usize = 64;

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

/// A socket as a topic sees it: where to put events.
#[derive(Clone)]
struct Sub {
    member: Uuid,
    tx: mpsc::Sender<Arc<Delivery>>,
    lagged: Arc<AtomicBool>,
}

struct SocketEntry {
    sub: Sub,
    topics: HashSet<Topic>,
}

struct TopicEntry {
    sockets: HashMap<SocketId, Sub>,
    /// Set once the bus confirmed the subscription.
    ready: Arc<OnceCell<()>>,
}

type Shard = Mutex<HashMap<Topic, TopicEntry>>;

pub struct Hub {
    bus: Arc<dyn EventBus>,
    sockets: Mutex<HashMap<SocketId, SocketEntry>>,
    shards: Box<[Shard]>,
    hasher: std::collections::hash_map::RandomState,
    next_id: AtomicU64,
    queue: usize,
}

impl Hub {
    /// `queue`: how many undelivered events a socket may have before it is
    /// considered lagging.
    pub fn new(bus: Arc<dyn EventBus>, queue: usize) -> Arc<Hub> {
        let hub = Arc::new(Hub {
            bus: bus.clone(),
            sockets: Mutex::default(),
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: Default::default(),
            next_id: AtomicU64::new(1),
            queue,
        });
        let target: std::sync::Weak<dyn Deliver> = Arc::downgrade(&hub) as std::sync::Weak<dyn Deliver>;
        bus.attach(target);
        hub
    }

    pub fn bus(&self) -> &Arc<dyn EventBus> {
        &self.bus
    }

    fn shard(&self, topic: &Topic) -> &Shard {
        &self.shards[self.hasher.hash_one(topic) as usize % SHARDS]
    }

    /// Registers a socket; it receives nothing until it subscribes.
    pub fn register(&self, member: Uuid) -> SocketHandle {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(self.queue);
        let lagged = Arc::new(AtomicBool::new(false));
        let entry = SocketEntry { sub: Sub { member, tx, lagged: lagged.clone() }, topics: HashSet::new() };
        self.sockets.lock().unwrap().insert(id, entry);
        metrics::gauge!("realtime_sockets").increment(1.0);
        SocketHandle { id, rx, lagged }
    }

    /// Adds a socket to a topic. Returns once events on the topic are
    /// certain to reach this node, so a replay started afterwards cannot miss
    /// anything.
    pub async fn subscribe(&self, id: SocketId, topic: Topic) -> Result<(), String> {
        let ready = {
            let mut sockets = self.sockets.lock().unwrap();
            let Some(socket) = sockets.get_mut(&id) else { return Ok(()) };
            if !socket.topics.insert(topic) {
                return Ok(());
            }
            let mut shard = self.shard(&topic).lock().unwrap();
            let entry = shard
                .entry(topic)
                .or_insert_with(|| TopicEntry { sockets: HashMap::new(), ready: Arc::new(OnceCell::new()) });
            entry.sockets.insert(id, socket.sub.clone());
            entry.ready.clone()
        };
        ready.get_or_try_init(|| self.bus.subscribe(topic)).await.map(|_| ())
    }

    /// Removes a socket from one topic (it left the channel).
    pub fn unsubscribe(&self, id: SocketId, topic: Topic) {
        let mut sockets = self.sockets.lock().unwrap();
        if let Some(s) = sockets.get_mut(&id) {
            s.topics.remove(&topic);
        }
        if let Some(e) = self.shard(&topic).lock().unwrap().get_mut(&topic) {
            e.sockets.remove(&id);
        }
    }

    /// Forgets a socket (its connection ended).
    pub fn remove(&self, id: SocketId) {
        let mut sockets = self.sockets.lock().unwrap();
        let Some(s) = sockets.remove(&id) else { return };
        metrics::gauge!("realtime_sockets").decrement(1.0);
        for t in s.topics {
            if let Some(e) = self.shard(&t).lock().unwrap().get_mut(&t) {
                e.sockets.remove(&id);
            }
        }
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
        let (mut dropped, mut leaving) = (Vec::new(), Vec::new());
        {
            let mut shard = self.shard(&topic).lock().unwrap();
            let Some(entry) = shard.get_mut(&topic) else { return };
            for (id, s) in &entry.sockets {
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
                entry.sockets.retain(|id, s| {
                    let stays = s.member != *user;
                    if !stays {
                        leaving.push(*id);
                    }
                    stays
                });
            }
            for id in &dropped {
                entry.sockets.remove(id);
            }
        }
        // The shard's lock is released: the sockets' lock comes first.
        if !leaving.is_empty() {
            let mut sockets = self.sockets.lock().unwrap();
            for id in leaving {
                if let Some(s) = sockets.get_mut(&id) {
                    s.topics.remove(&topic);
                }
            }
        }
        for id in dropped {
            self.remove(id);
        }
    }

    /// Drops topics no local socket listens to any more, and unsubscribes
    /// the node from them.
    pub async fn sweep(&self) {
        let pick = Box::new(|| {
            let mut empty = Vec::new();
            for shard in self.shards.iter() {
                let mut shard = shard.lock().unwrap();
                shard.retain(|t, e| {
                    if e.sockets.is_empty() {
                        empty.push(*t);
                    }
                    !e.sockets.is_empty()
                });
            }
            empty
        });
        self.bus.sweep(pick).await;
    }

    /// Sockets and topics on this node (for metrics and tests).
    pub fn counts(&self) -> (usize, usize) {
        let sockets = self.sockets.lock().unwrap().len();
        (sockets, self.shards.iter().map(|s| s.lock().unwrap().len()).sum())
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
        let ids: Vec<SocketId> = self.sockets.lock().unwrap().keys().copied().collect();
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
                for id in chunk {
                    hub.remove(*id);
                }
                tokio::time::sleep(RECONNECT_SPREAD / slices).await;
            }
        });
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

    #[tokio::test]
    async fn removed_sockets_leave_every_topic_of_every_shard() {
        let hub = Hub::new(Arc::new(LocalBus::default()), 4);
        let topics: Vec<Topic> = (0..200).map(|i| Topic::Channel(Uuid::from_u128(i))).collect();
        let mut handles = Vec::new();
        for n in 0..300u128 {
            let h = hub.register(Uuid::from_u128(1000 + n));
            for t in topics.iter().skip(n as usize % 7).step_by(7) {
                hub.subscribe(h.id, *t).await.unwrap();
            }
            handles.push(h);
        }
        for h in handles.iter().step_by(2) {
            hub.remove(h.id);
        }
        let c = Uuid::from_u128(3);
        hub.deliver(Topic::Channel(c), left(c, Uuid::from_u128(9)), None);
        for (n, h) in handles.iter_mut().enumerate() {
            let listens = (0..200).skip(n % 7).step_by(7).any(|i| i == 3);
            assert_eq!(h.rx.try_recv().is_ok(), listens && n % 2 == 1, "socket {n}");
        }
        hub.sweep().await;
        assert_eq!(hub.counts(), (150, 200));
        for h in handles.iter().skip(1).step_by(2) {
            hub.remove(h.id);
        }
        hub.sweep().await;
        assert_eq!(hub.counts(), (0, 0));
    }
}
