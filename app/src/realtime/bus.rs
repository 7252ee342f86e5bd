//! The event bus: how an event published by an action on one node reaches
//! the hubs of every node with sockets that need it.
//!
//! Two implementations behind one trait: [`LocalBus`] hands events straight
//! to this process's hub (one node, the default), and [`RedisBus`] uses Redis
//! pub/sub (`REDIS_URL` set). Each node subscribes only to the topics its own
//! sockets need, and unsubscribes lazily (see [`super::hub::Hub::sweep`]).

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use futures_util::StreamExt;
use uuid::Uuid;

use super::hub::Hub;
use super::Event;

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

/// Picks the topics to drop, called with the bus's subscription lock held.
pub type Pick<'a> = Box<dyn FnOnce() -> Vec<Topic> + Send + 'a>;

/// Publishes events and keeps this node subscribed to what it needs.
pub trait EventBus: Send + Sync + 'static {
    /// Sends an event to every node subscribed to `topic`. Never fails the
    /// caller: the action has committed, and a client that misses the event
    /// gets it from history when it resumes.
    fn publish<'a>(&'a self, topic: Topic, event: &'a Event) -> BoxFut<'a, ()>;
    /// Returns once events on `topic` are certain to reach this node.
    fn subscribe(&self, topic: Topic) -> BoxFut<'_, Result<(), String>>;
    /// Unsubscribes from the topics `pick` returns, with subscriptions
    /// serialised, so that a concurrent subscribe always lands after it.
    fn sweep<'a>(&'a self, pick: Pick<'a>) -> BoxFut<'a, ()>;
    /// Connects the bus to the hub it delivers to.
    fn attach(&self, hub: Weak<Hub>);
    fn name(&self) -> &'static str;
}

/// One process: publishing is delivering.
#[derive(Default)]
pub struct LocalBus {
    hub: OnceLock<Weak<Hub>>,
}

impl EventBus for LocalBus {
    fn publish<'a>(&'a self, topic: Topic, event: &'a Event) -> BoxFut<'a, ()> {
        if let Some(hub) = self.hub.get().and_then(Weak::upgrade) {
            hub.deliver(topic, event.clone(), None);
        }
        Box::pin(async {})
    }
    fn subscribe(&self, _topic: Topic) -> BoxFut<'_, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
    fn sweep<'a>(&'a self, pick: Pick<'a>) -> BoxFut<'a, ()> {
        pick();
        Box::pin(async {})
    }
    fn attach(&self, hub: Weak<Hub>) {
        let _ = self.hub.set(hub);
    }
    fn name(&self) -> &'static str {
        "local"
    }
}

/// Redis pub/sub. Publishing goes through a multiplexed connection (ordered,
/// reconnecting); receiving through a dedicated pub/sub connection whose
/// subscriptions are restored after it drops. Events published while it was
/// down are lost to live delivery, so every local socket is told to resync.
pub struct RedisBus {
    client: redis::Client,
    publisher: redis::aio::ConnectionManager,
    sink: tokio::sync::Mutex<Option<redis::aio::PubSubSink>>,
    topics: Mutex<HashSet<Topic>>,
    hub: OnceLock<Weak<Hub>>,
}

impl RedisBus {
    pub async fn connect(url: &str) -> Result<Arc<RedisBus>, String> {
        let client = redis::Client::open(url).map_err(|e| format!("bad REDIS_URL: {e}"))?;
        let publisher = redis::aio::ConnectionManager::new(client.clone())
            .await
            .map_err(|e| format!("cannot connect to REDIS_URL: {e}"))?;
        let bus = Arc::new(RedisBus {
            client,
            publisher,
            sink: tokio::sync::Mutex::new(None),
            topics: Mutex::new(HashSet::new()),
            hub: OnceLock::new(),
        });
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        tokio::spawn(bus.clone().receive(ready_tx));
        ready_rx.await.map_err(|_| "the Redis subscriber did not start".to_string())?;
        Ok(bus)
    }

    /// Keeps a subscriber connection up and hands its messages to the hub.
    async fn receive(self: Arc<Self>, ready: tokio::sync::oneshot::Sender<()>) {
        let mut ready = Some(ready);
        let mut backoff = Duration::from_millis(100);
        loop {
            match self.client.get_async_pubsub().await {
                Ok(pubsub) => {
                    let (mut sink, mut stream) = pubsub.split();
                    {
                        let mut guard = self.sink.lock().await;
                        let keys: Vec<String> = self.topics.lock().unwrap().iter().map(Topic::key).collect();
                        if !keys.is_empty() && sink.subscribe(&keys).await.is_err() {
                            drop(guard);
                            tokio::time::sleep(backoff).await;
                            continue;
                        }
                        *guard = Some(sink);
                    }
                    backoff = Duration::from_millis(100);
                    match ready.take() {
                        Some(r) => {
                            let _ = r.send(());
                        }
                        None => {
                            if let Some(hub) = self.hub.get().and_then(Weak::upgrade) {
                                hub.resync_all("event bus reconnected");
                            }
                        }
                    }
                    while let Some(msg) = stream.next().await {
                        let Some(topic) = Topic::parse(msg.get_channel_name()) else { continue };
                        let Ok(json) = msg.get_payload::<String>() else { continue };
                        match serde_json::from_str::<Event>(&json) {
                            Ok(event) => {
                                if let Some(hub) = self.hub.get().and_then(Weak::upgrade) {
                                    hub.deliver(topic, event, Some(json));
                                }
                            }
                            Err(e) => tracing::warn!(error = %e, "unreadable event on the bus"),
                        }
                    }
                    *self.sink.lock().await = None;
                    tracing::warn!("Redis subscriber connection lost; reconnecting");
                }
                Err(e) => tracing::warn!(error = %e, "cannot open the Redis subscriber connection"),
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }
}

impl EventBus for RedisBus {
    fn publish<'a>(&'a self, topic: Topic, event: &'a Event) -> BoxFut<'a, ()> {
        Box::pin(async move {
            let Ok(json) = serde_json::to_string(event) else { return };
            let mut conn = self.publisher.clone();
            let res: redis::RedisResult<i64> =
                redis::cmd("PUBLISH").arg(topic.key()).arg(json).query_async(&mut conn).await;
            if let Err(e) = res {
                metrics::counter!("realtime_publish_failures_total").increment(1);
                tracing::warn!(error = %e, "publishing an event failed; clients will catch up on resume");
            }
        })
    }

    fn subscribe(&self, topic: Topic) -> BoxFut<'_, Result<(), String>> {
        Box::pin(async move {
            let mut guard = self.sink.lock().await;
            let sink = guard.as_mut().ok_or("the event bus is reconnecting")?;
            sink.subscribe(topic.key()).await.map_err(|e| e.to_string())?;
            self.topics.lock().unwrap().insert(topic);
            Ok(())
        })
    }

    fn sweep<'a>(&'a self, pick: Pick<'a>) -> BoxFut<'a, ()> {
        Box::pin(async move {
            let mut guard = self.sink.lock().await;
            let gone = pick();
            if gone.is_empty() {
                return;
            }
            {
                let mut topics = self.topics.lock().unwrap();
                for t in &gone {
                    topics.remove(t);
                }
            }
            if let Some(sink) = guard.as_mut() {
                let keys: Vec<String> = gone.iter().map(Topic::key).collect();
                if let Err(e) = sink.unsubscribe(&keys).await {
                    tracing::warn!(error = %e, "unsubscribing failed");
                }
            }
        })
    }

    fn attach(&self, hub: Weak<Hub>) {
        let _ = self.hub.set(hub);
    }

    fn name(&self) -> &'static str {
        "redis"
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
