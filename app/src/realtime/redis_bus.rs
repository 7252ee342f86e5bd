//! The event bus over Redis pub/sub, built to survive Redis outages of any
//! length without a restart.
//!
//! - **Publishing** delivers to this node's hub at once, then queues the
//!   event for one publisher task, which sends queued events as one pipeline
//!   of `PUBLISH`es with a deadline. Events keep their commit order per
//!   node, and nothing a request does waits on Redis. Each payload starts
//!   with the publishing node's id, so a node skips its own events when
//!   Redis echoes them back.
//! - **Receiving** runs on a dedicated pub/sub connection. The set of topics
//!   this node needs is kept here, not on the connection: while Redis is
//!   down, `subscribe` records the topic and returns at once (the bus is
//!   degraded: local events still flow, other nodes' do not). When the
//!   connection comes back, every recorded topic is subscribed in one call
//!   and the hub asks every socket to reconnect and resume, which replays
//!   what they missed.
//! - Every Redis call has a deadline; a connection that stops answering
//!   pings is dropped and reopened.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{mpsc, Notify};
use tokio::time::timeout;
use uuid::Uuid;

use super::bus::{BoxFut, Deliver, EventBus, Pick, Topic};
use super::Stamped;

/// The deadline of one Redis command (publish pipeline, subscribe, ping).
pub const REDIS_DEADLINE: Duration = Duration::from_secs(2);
/// The longest pause between two attempts to reconnect the subscriber.
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// How often an idle subscriber connection is pinged.
const PING_EVERY: Duration = Duration::from_secs(5);
/// Most events sent in one pipeline.
const BATCH: usize = 512;

/// A connection manager whose commands and reconnects have deadlines.
pub async fn connection(client: &redis::Client) -> Result<redis::aio::ConnectionManager, String> {
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(REDIS_DEADLINE)
        .set_response_timeout(REDIS_DEADLINE)
        .set_number_of_retries(2)
        .set_max_delay(500);
    redis::aio::ConnectionManager::new_with_config(client.clone(), config)
        .await
        .map_err(|e| format!("cannot connect to REDIS_URL: {e}"))
}

pub struct RedisBus {
    node: String,
    client: redis::Client,
    out: mpsc::UnboundedSender<(Topic, String)>,
    sink: tokio::sync::Mutex<Option<redis::aio::PubSubSink>>,
    /// Every topic this node needs, whether or not Redis has it right now.
    topics: Mutex<HashSet<Topic>>,
    target: OnceLock<Weak<dyn Deliver>>,
    up: AtomicBool,
    epoch: AtomicU64,
    /// Asks the receiver to drop its connection and open a new one.
    reset: Notify,
}

impl RedisBus {
    /// Connects (Redis must answer now) and starts the publisher and the
    /// receiver, which from then on reconnect by themselves.
    pub async fn connect(url: &str, node: Uuid) -> Result<Arc<RedisBus>, String> {
        let client = redis::Client::open(url).map_err(|e| format!("bad REDIS_URL: {e}"))?;
        let publisher = connection(&client).await?;
        let (out, rx) = mpsc::unbounded_channel();
        let bus = Arc::new(RedisBus {
            node: node.to_string(),
            client,
            out,
            sink: tokio::sync::Mutex::new(None),
            topics: Mutex::new(HashSet::new()),
            target: OnceLock::new(),
            up: AtomicBool::new(false),
            epoch: AtomicU64::new(0),
            reset: Notify::new(),
        });
        tokio::spawn(publish_loop(publisher, rx));
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        tokio::spawn(bus.clone().receive(ready_tx));
        timeout(Duration::from_secs(10), ready_rx)
            .await
            .map_err(|_| "the Redis subscriber did not start".to_string())?
            .map_err(|_| "the Redis subscriber did not start".to_string())?;
        Ok(bus)
    }

    fn target(&self) -> Option<Arc<dyn Deliver>> {
        self.target.get().and_then(Weak::upgrade)
    }

    /// Keeps a subscriber connection up and hands its messages to the hub.
    async fn receive(self: Arc<Self>, ready: tokio::sync::oneshot::Sender<()>) {
        let mut ready = Some(ready);
        let mut backoff = Duration::from_millis(100);
        loop {
            match timeout(REDIS_DEADLINE, self.client.get_async_pubsub()).await {
                Ok(Ok(pubsub)) => {
                    let (mut sink, mut stream) = pubsub.split();
                    {
                        let mut guard = self.sink.lock().await;
                        let keys: Vec<String> = self.topics.lock().unwrap().iter().map(Topic::key).collect();
                        let subscribed = keys.is_empty()
                            || matches!(timeout(REDIS_DEADLINE, sink.subscribe(&keys)).await, Ok(Ok(())));
                        if !subscribed {
                            drop(guard);
                            tracing::warn!("resubscribing to the event bus failed; retrying");
                            tokio::time::sleep(backoff).await;
                            continue;
                        }
                        *guard = Some(sink);
                    }
                    backoff = Duration::from_millis(100);
                    // The sockets to move are the ones there now: anything
                    // that connects once the bus reads as up needs nothing.
                    if ready.is_none() {
                        metrics::counter!("realtime_bus_reconnects_total").increment(1);
                        tracing::info!("event bus reconnected");
                        if let Some(t) = self.target() {
                            t.reconnect_all("event bus reconnected");
                        }
                    }
                    self.up.store(true, Ordering::Release);
                    self.epoch.fetch_add(1, Ordering::AcqRel);
                    metrics::gauge!("realtime_bus_up").set(1.0);
                    if let Some(r) = ready.take() {
                        let _ = r.send(());
                    }
                    self.pump(&mut stream).await;
                    *self.sink.lock().await = None;
                    self.up.store(false, Ordering::Release);
                    metrics::gauge!("realtime_bus_up").set(0.0);
                    tracing::warn!(
                        "Redis subscriber connection lost; degraded to local delivery, reconnecting"
                    );
                }
                Ok(Err(e)) => tracing::warn!(error = %e, "cannot open the Redis subscriber connection"),
                Err(_) => tracing::warn!("opening the Redis subscriber connection timed out"),
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// Hands messages to the hub until the connection ends, stops answering
    /// pings, or a reset is asked for.
    async fn pump(&self, stream: &mut redis::aio::PubSubStream) {
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        loop {
            tokio::select! {
                msg = stream.next() => {
                    let Some(msg) = msg else { return };
                    self.on_message(msg);
                }
                _ = self.reset.notified() => return,
                _ = ping.tick() => {
                    let mut guard = self.sink.lock().await;
                    let Some(sink) = guard.as_mut() else { return };
                    if !matches!(timeout(REDIS_DEADLINE, sink.ping::<redis::Value>()).await, Ok(Ok(_))) {
                        return;
                    }
                }
            }
        }
    }

    fn on_message(&self, msg: redis::Msg) {
        let Some(topic) = Topic::parse(msg.get_channel_name()) else { return };
        let Ok(payload) = msg.get_payload::<String>() else { return };
        let Some((from, json)) = payload.split_at_checked(36) else { return };
        if from == self.node {
            return; // delivered locally when it was published
        }
        match serde_json::from_str::<Stamped>(json) {
            Ok(stamped) => {
                if let Some(t) = self.target() {
                    t.deliver(topic, stamped.event, Some(json.to_string()));
                }
            }
            Err(e) => tracing::warn!(error = %e, "unreadable event on the bus"),
        }
    }

    /// Drops the subscriber connection (it misbehaved) so it is reopened.
    fn degrade(&self, guard: &mut Option<redis::aio::PubSubSink>) {
        *guard = None;
        self.up.store(false, Ordering::Release);
        self.reset.notify_one();
    }
}

/// Sends queued events in order, as pipelines with a deadline. A failed
/// batch is counted and dropped: its events reached this node's sockets,
/// and other nodes' clients catch up when they resume.
async fn publish_loop(
    mut conn: redis::aio::ConnectionManager,
    mut rx: mpsc::UnboundedReceiver<(Topic, String)>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        if rx.recv_many(&mut batch, BATCH).await == 0 {
            return;
        }
        let mut pipe = redis::pipe();
        for (topic, payload) in batch.drain(..) {
            pipe.cmd("PUBLISH").arg(topic.key()).arg(payload).ignore();
        }
        let n = pipe.len() as u64;
        match timeout(REDIS_DEADLINE, pipe.query_async::<()>(&mut conn)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                metrics::counter!("realtime_publish_failures_total").increment(n);
                tracing::warn!(error = %e, events = n, "publishing to Redis failed; other nodes' clients will resume");
            }
            Err(_) => {
                metrics::counter!("realtime_publish_failures_total").increment(n);
                tracing::warn!(events = n, "publishing to Redis timed out; other nodes' clients will resume");
            }
        }
    }
}

impl EventBus for RedisBus {
    fn publish(&self, topic: Topic, event: &Stamped) {
        let Ok(json) = serde_json::to_string(event) else { return };
        let payload = format!("{}{json}", self.node);
        if let Some(t) = self.target() {
            t.deliver(topic, event.event.clone(), Some(json));
        }
        let _ = self.out.send((topic, payload));
    }

    fn subscribe(&self, topic: Topic) -> BoxFut<'_, Result<(), String>> {
        Box::pin(async move {
            self.topics.lock().unwrap().insert(topic);
            let mut guard = self.sink.lock().await;
            let Some(sink) = guard.as_mut() else { return Ok(()) };
            if !matches!(timeout(REDIS_DEADLINE, sink.subscribe(topic.key())).await, Ok(Ok(()))) {
                tracing::warn!("subscribing on the event bus failed; reconnecting it");
                self.degrade(&mut guard);
            }
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
                if !matches!(timeout(REDIS_DEADLINE, sink.unsubscribe(&keys)).await, Ok(Ok(()))) {
                    tracing::warn!("unsubscribing failed; reconnecting the event bus");
                    self.degrade(&mut guard);
                }
            }
        })
    }

    fn attach(&self, target: Weak<dyn Deliver>) {
        let _ = self.target.set(target);
    }

    fn name(&self) -> &'static str {
        "redis"
    }

    fn healthy(&self) -> bool {
        self.up.load(Ordering::Acquire)
    }

    fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }
}
