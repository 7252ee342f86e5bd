//! One task per socket: a single `select!` over events from the hub, frames
//! from the client, the heartbeat and shutdown.
//!
//! Resume without gaps: the socket is subscribed to all its topics *before*
//! `hello` is sent, and live events queue (bounded) while the task waits for
//! the client's `resume` and replays what the client lacks from Postgres.
//! Queued `message_created` events the replay already covered are dropped,
//! so each message arrives exactly once and in order.
//!
//! Every socket holds its task's whole state machine for as long as it is
//! open, and a state machine is as large as its largest await: the rare,
//! large steps (setup, replay, client frames, joining a channel) are boxed,
//! so an idle socket's task holds only the wait for its next frame or event
//! (the task was 4,072 bytes, now 2,200; see docs/benchmarks.md, "Scale").
//!
//! A hostile client is bounded per socket ([`super::budget`]); a `resume`
//! lacking more than 1,000 messages is answered `resync_required` (the
//! client reloads) instead of replayed ([`replay`]). A guest's socket drops
//! workspace-wide events about channels and people it may not see
//! ([`guest`]).

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use app::auth::Actor;
use app::realtime::bus::Topic;
use app::realtime::caps::Slot;
use app::realtime::hub::{Delivery, SocketHandle, SocketId};
use app::realtime::service::Realtime;
use app::realtime::{close, frames, ClientFrame, Control, Event, PROTOCOL_VERSION};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::time::Instant;
use uuid::Uuid;

use super::budget::Budget;

mod guest;
mod replay;

/// How long the server waits for `resume` after `hello`.
const RESUME_WAIT: Duration = Duration::from_secs(10);
/// A send that takes longer means the client is not reading.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
const REPLAY_PAGE: i64 = 200;
/// The most messages one `resume` replays; a client further behind reloads.
const MAX_REPLAY: i64 = 1000;

/// How a connection ends.
enum Exit {
    /// The client closed, or the connection broke.
    Gone,
    Close(u16, &'static str),
    Resync,
}

struct Conn {
    db: sqlx::PgPool,
    rt: Arc<Realtime>,
    actor: Actor,
    name: String,
    id: SocketId,
    channels: HashSet<Uuid>,
    /// Per channel, the highest seq sent by the last replay.
    replayed: HashMap<Uuid, i64>,
    tx: SplitSink<WebSocket, Message>,
    last_heard: Instant,
    budget: Budget,
    /// For a guest: the people it may hear about ([`guest`]).
    guest: Option<guest::Peers>,
}

/// Removes the socket from the hub and presence however the task ends,
/// including when it is aborted.
struct Cleanup {
    rt: Arc<Realtime>,
    id: SocketId,
    member: Uuid,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.rt.hub.remove(self.id);
        let (rt, id, member) = (self.rt.clone(), self.id, self.member);
        tokio::spawn(async move { rt.presence.disconnect(member, id).await });
    }
}

/// The socket's task. Built synchronously so that the future keeps only
/// what the connection uses (an `async fn` would keep its arguments beside
/// their moved copies).
pub fn run(
    socket: WebSocket,
    db: sqlx::PgPool,
    rt: Arc<Realtime>,
    actor: Actor,
    slot: Slot,
) -> impl Future<Output = ()> + Send {
    let h = rt.hub.register(actor.member_id);
    let cleanup = Cleanup { rt: rt.clone(), id: h.id, member: actor.member_id };
    let (tx, rx) = socket.split();
    let c = Conn {
        db,
        rt,
        actor,
        name: String::new(),
        id: h.id,
        channels: HashSet::new(),
        replayed: HashMap::new(),
        tx,
        last_heard: Instant::now(),
        budget: Budget::new(),
        guest: None,
    };
    async move {
        let (_slot, _cleanup) = (slot, cleanup);
        let (mut c, mut h, mut rx) = (c, h, rx);
        let exit = c.serve(&mut h, &mut rx).await;
        let (code, reason) = match exit {
            Exit::Gone => return,
            Exit::Close(code, reason) => (code, reason),
            Exit::Resync => {
                let frame = Control::ResyncRequired { reason: "the connection fell behind".into() };
                let _ = c.send_json(&frame).await;
                (close::RESYNC_REQUIRED, "resync_required")
            }
        };
        let frame = CloseFrame { code, reason: Utf8Bytes::from_static(reason) };
        let _ = tokio::time::timeout(SEND_TIMEOUT, c.tx.send(Message::Close(Some(frame)))).await;
    }
}

impl Conn {
    async fn serve(&mut self, h: &mut SocketHandle, rx: &mut SplitStream<WebSocket>) -> Exit {
        if let Err(e) = Box::pin(self.setup()).await {
            tracing::warn!(error = %e, "socket setup failed");
            return Exit::Close(1011, "server_error");
        }
        // Wait for `resume`, answering other frames meanwhile.
        let deadline = tokio::time::sleep(RESUME_WAIT);
        tokio::pin!(deadline);
        let since = loop {
            tokio::select! {
                _ = &mut deadline => return Exit::Close(close::RESUME_TIMEOUT, "resume_timeout"),
                msg = rx.next() => match self.read(msg).await {
                    Ok(Some(ClientFrame::Resume { channels })) => break channels,
                    Ok(Some(frame)) => Box::pin(self.handle(frame)).await,
                    Ok(None) => {}
                    Err(exit) => return exit,
                },
            }
        };
        if let Err(exit) = Box::pin(self.replay(since)).await {
            return exit;
        }
        let heartbeat = self.rt.config.heartbeat;
        let mut beat = tokio::time::interval_at(Instant::now() + heartbeat, heartbeat);
        let mut shutdown = self.rt.shutdown_signal();
        loop {
            // Biased, queued events first: a `pong` then follows every event
            // queued before its `ping` was read, so a client can use a ping
            // as a barrier ("I have everything my last request caused").
            tokio::select! {
                biased;
                _ = shutdown.changed() => return Exit::Close(close::GOING_AWAY, "server_shutdown"),
                d = h.rx.recv() => match d {
                    Some(d) => {
                        if h.lagged.load(Ordering::Acquire) {
                            return Exit::Resync;
                        }
                        if let Err(exit) = self.deliver(&d).await {
                            return exit;
                        }
                    }
                    None if h.lagged.load(Ordering::Acquire) => return Exit::Resync,
                    None => return Exit::Close(close::GOING_AWAY, "removed"),
                },
                msg = rx.next() => match self.read(msg).await {
                    Ok(Some(ClientFrame::Resume { channels })) => {
                        if let Err(exit) = Box::pin(self.replay(channels)).await {
                            return exit;
                        }
                    }
                    Ok(Some(frame)) => Box::pin(self.handle(frame)).await,
                    Ok(None) => {}
                    Err(exit) => return exit,
                },
                _ = beat.tick() => {
                    if self.last_heard.elapsed() > heartbeat * 2 + Duration::from_secs(5) {
                        return Exit::Gone;
                    }
                    if self.send(Message::Ping(Default::default())).await.is_err() {
                        return Exit::Gone;
                    }
                }
            }
        }
    }

    /// Subscribes to everything this member may receive, then says hello.
    async fn setup(&mut self) -> Result<(), String> {
        let db = &self.db;
        let me = self.actor.member_id;
        let row = sqlx::query!(
            r#"select m.display_name, w.idle_after_secs,
                      array(select channel_id from channel_member c where c.member_id = m.member_id) as "channels!"
               from member m join workspace w using (workspace_id) where m.member_id = $1"#,
            me
        )
        .fetch_one(db)
        .await
        .map_err(|e| e.to_string())?;
        self.name = row.display_name;
        let hub = &self.rt.hub;
        let mut topics = vec![Topic::Member(me), Topic::Workspace(self.actor.workspace_id)];
        topics.extend(row.channels.iter().map(|c| Topic::Channel(*c)));
        // All at once: each topic new to this node is a round trip to the bus.
        futures_util::future::try_join_all(topics.into_iter().map(|t| hub.subscribe(self.id, t))).await?;
        self.channels.extend(row.channels);
        self.guest = guest::Peers::load(db, &self.actor).await.map_err(|e| e.to_string())?;
        let idle = Duration::from_secs(row.idle_after_secs.max(30) as u64);
        self.rt.presence.connect(me, self.actor.workspace_id, self.id, idle).await;
        let hello = Control::Hello {
            version: PROTOCOL_VERSION,
            user: me,
            workspace: self.actor.workspace_id,
            heartbeat_secs: self.rt.config.heartbeat.as_secs(),
        };
        self.send_json(&hello).await.map_err(|_| "client went away".to_string())
    }

    /// Sends one event from the hub, unless the replay already did, and
    /// follows membership changes.
    async fn deliver(&mut self, d: &Delivery) -> Result<(), Exit> {
        let me = self.actor.member_id;
        if let Event::AuthRevoked { .. } = &d.event {
            // Never forwarded: it only says whether this socket must close.
            return match d.event.revokes(self.actor.credential) {
                true => Err(Exit::Close(close::AUTH_REVOKED, "auth_revoked")),
                false => Ok(()),
            };
        }
        if let Some((c, seq)) = d.event.message_seq() {
            if self.replayed.get(&c).is_some_and(|max| seq <= *max) {
                return Ok(());
            }
        }
        if let Some(peers) = &mut self.guest {
            if d.topic == Topic::Workspace(self.actor.workspace_id) && !peers.admits(&d.event, &self.channels)
            {
                return Ok(());
            }
            if let Event::MemberJoined { user, .. } = &d.event {
                peers.add(*user);
            }
        }
        match &d.event {
            Event::MemberJoined { channel, user } if *user == me => Box::pin(self.join(*channel)).await,
            Event::ChannelCreated { channel } if d.topic == Topic::Member(me) => {
                Box::pin(self.join(channel.id)).await
            }
            Event::MemberLeft { channel, user } if *user == me => {
                if self.channels.remove(channel) {
                    self.rt.hub.unsubscribe(self.id, Topic::Channel(*channel));
                } else if d.topic == Topic::Member(me) {
                    // Already told on the channel's own topic.
                    return Ok(());
                }
            }
            _ => {}
        }
        self.send(Message::Text(d.json.clone())).await.map_err(|_| Exit::Gone)
    }

    async fn join(&mut self, channel: Uuid) {
        if self.channels.insert(channel) {
            if let Err(e) = self.rt.hub.subscribe(self.id, Topic::Channel(channel)).await {
                tracing::warn!(error = %e, "subscribing a socket to a new channel failed");
            }
            // A guest in a new channel may now see its members.
            if self.guest.is_some() {
                match guest::Peers::load(&self.db, &self.actor).await {
                    Ok(peers) => self.guest = peers,
                    Err(e) => tracing::warn!(error = %e, "reloading a guest's peers failed"),
                }
            }
        }
    }

    /// Reads one frame: `Ok(Some)` for a protocol frame, `Ok(None)` for one
    /// already dealt with, `Err` to end the connection.
    async fn read(&mut self, msg: Option<Result<Message, axum::Error>>) -> Result<Option<ClientFrame>, Exit> {
        let msg = match msg {
            None => return Err(Exit::Gone),
            Some(Ok(m)) => m,
            Some(Err(e)) => {
                let text = e.to_string();
                return Err(
                    if text.contains("Space limit") || text.contains("too long") || text.contains("too big") {
                        Exit::Close(close::TOO_BIG, "frame_too_large")
                    } else {
                        tracing::debug!(error = %text, "WebSocket read error");
                        Exit::Close(close::PROTOCOL_ERROR, "protocol_error")
                    },
                );
            }
        };
        self.last_heard = Instant::now();
        match msg {
            Message::Text(text) => match frames::parse(text.as_str()) {
                Ok(frame) => {
                    // A ping's only cost is one small frame back to the sender.
                    if !matches!(frame, ClientFrame::Ping { .. }) {
                        self.take_budget()?;
                    }
                    Ok(Some(frame))
                }
                Err((code, message)) => {
                    self.take_budget()?;
                    let e = Control::Error { code: code.into(), message };
                    self.send_json(&e).await.map_err(|_| Exit::Gone)?;
                    Ok(None)
                }
            },
            Message::Binary(_) => {
                let e = Control::Error {
                    code: "binary_not_supported".into(),
                    message: "send JSON text frames".into(),
                };
                let _ = self.send_json(&e).await;
                Err(Exit::Close(1003, "binary_not_supported"))
            }
            Message::Close(_) => Err(Exit::Gone),
            Message::Ping(_) | Message::Pong(_) => Ok(None),
        }
    }

    /// Counts one frame; over the budget, the socket closes with 1008.
    fn take_budget(&mut self) -> Result<(), Exit> {
        if self.budget.frame() {
            return Ok(());
        }
        metrics::counter!("ws_frames_over_budget_total").increment(1);
        Err(Exit::Close(close::POLICY_VIOLATION, "rate_limited"))
    }

    async fn handle(&mut self, frame: ClientFrame) {
        match frame {
            ClientFrame::Resume { .. } => {}
            ClientFrame::Ping { id } => {
                let _ = self.send_json(&Control::Pong { id }).await;
            }
            ClientFrame::Activity { active } => {
                if !self.budget.activity() {
                    return;
                }
                self.rt.presence.activity(self.actor.member_id, self.id, active).await;
            }
            ClientFrame::Typing { channel, thread_seq } => {
                if !self.channels.contains(&channel) {
                    let e =
                        Control::Error { code: "channel_not_found".into(), message: "not a member".into() };
                    let _ = self.send_json(&e).await;
                    return;
                }
                // Per conversation, whatever the thread: a new `thread_seq`
                // each time must not pass the throttle.
                if !self.budget.typing(channel) {
                    return;
                }
                let ev = Event::Typing {
                    channel,
                    thread_seq,
                    user: self.actor.member_id,
                    user_name: self.name.clone(),
                };
                self.rt.signal(channel, &ev);
            }
        }
    }

    async fn send_json<T: serde::Serialize>(&mut self, v: &T) -> Result<(), ()> {
        let json = serde_json::to_string(v).map_err(|_| ())?;
        self.send(Message::Text(json.into())).await
    }

    async fn send(&mut self, m: Message) -> Result<(), ()> {
        match tokio::time::timeout(SEND_TIMEOUT, self.tx.send(m)).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(()),
        }
    }
}
