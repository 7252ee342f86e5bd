//! Presence: online while any tab is connected and used recently, idle after
//! a quiet spell (or when set away), offline when no tab is connected.
//!
//! Each node tracks its own sockets ([`Tracker`]). Alone, that is the whole
//! truth. With Redis, each node writes its view per member under a key
//! (`ts:p:<member>:<node>`) when it changes, and heartbeats in `ts:nodes`
//! every 2 s; when a node stops heartbeating, another node reaps its members
//! and announces the change, so a node that dies without goodbye shows its
//! members offline within about 7 s. The keys also expire (5 minutes) and
//! are rewritten a slice at a time (each member once a minute), a safety net
//! for keys Redis lost; rewriting every member at every heartbeat cost
//! 112,000 Redis commands a second with 75,000 people online. Changes go out as `presence` events on the workspace topic:
//! presence is state the nodes keep, not a write, so it is published
//! directly rather than through a transaction.
//!
//! Every Redis call has a deadline (the connection manager's response
//! timeout), so a Redis outage slows nothing down; when the bus reconnects,
//! each node writes its view again ([`PresenceService::rebuild`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::AsyncCommands;
use sqlx::PgPool;
use uuid::Uuid;

use super::bus::{EventBus, Topic};
use super::hub::SocketId;
use super::tracker::Tracker;
use super::{Event, Presence, PresenceInfo};

/// How long a node's view of a member lives in Redis without a refresh.
const KEY_TTL_MS: u64 = 300_000;
/// Heartbeats (2 s apart) over which every member's keys are rewritten once.
const REFRESH_SLICES: u128 = 30;
/// A node silent for this long is considered dead.
const NODE_DEAD_MS: u64 = 6_000;

/// Presence for the whole deployment, as seen from this node.
pub struct PresenceService {
    node: Uuid,
    db: PgPool,
    bus: Arc<dyn EventBus>,
    tracker: Mutex<Tracker>,
    redis: Option<redis::aio::ConnectionManager>,
    /// Without Redis: the last announced state per member.
    announced: Mutex<HashMap<Uuid, (Presence, bool)>>,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl PresenceService {
    pub fn new(
        node: Uuid,
        db: PgPool,
        bus: Arc<dyn EventBus>,
        redis: Option<redis::aio::ConnectionManager>,
    ) -> Arc<Self> {
        Arc::new(PresenceService {
            node,
            db,
            bus,
            tracker: Mutex::new(Tracker::default()),
            redis,
            announced: Mutex::new(HashMap::new()),
        })
    }

    /// Redis, unless the bus says it is down: then presence is this node's
    /// own view (and writes wait for [`PresenceService::rebuild`]), so that
    /// connecting a socket never waits on Redis's deadlines.
    fn redis_if_up(&self) -> Option<redis::aio::ConnectionManager> {
        self.redis.clone().filter(|_| self.bus.healthy())
    }

    pub async fn connect(&self, member: Uuid, workspace: Uuid, socket: SocketId, idle_after: Duration) {
        self.tracker.lock().unwrap().connect(member, workspace, socket, idle_after);
        self.evaluate_one(member).await;
    }

    pub async fn disconnect(&self, member: Uuid, socket: SocketId) {
        self.tracker.lock().unwrap().disconnect(member, socket);
        self.evaluate_one(member).await;
    }

    pub async fn activity(&self, member: Uuid, socket: SocketId, active: bool) {
        self.tracker.lock().unwrap().activity(member, socket, active);
        self.evaluate_one(member).await;
    }

    /// Applies this node's changes and announces what changed overall.
    pub async fn evaluate(&self) {
        let changes = self.tracker.lock().unwrap().changes();
        self.apply(changes).await;
    }

    /// [`Self::evaluate`] for one member.
    async fn evaluate_one(&self, member: Uuid) {
        let change = self.tracker.lock().unwrap().change(member);
        self.apply(change.into_iter().collect()).await;
    }

    async fn apply(&self, changes: Vec<(Uuid, Uuid, Presence)>) {
        for (member, ws, local) in changes {
            if let Err(e) = self.write_local(member, ws, local).await {
                tracing::warn!(error = %e, "presence write failed");
            }
            self.announce(member, ws).await;
        }
    }

    async fn write_local(&self, member: Uuid, ws: Uuid, p: Presence) -> redis::RedisResult<()> {
        let Some(mut r) = self.redis_if_up() else { return Ok(()) };
        let key = format!("ts:p:{member}:{}", self.node);
        let tag = format!("{ws}:{member}");
        if p == Presence::Offline {
            redis::pipe()
                .del(&key)
                .srem(format!("ts:pn:{member}"), self.node.to_string())
                .srem(format!("ts:nm:{}", self.node), &tag)
                .query_async::<()>(&mut r)
                .await
        } else {
            redis::pipe()
                .cmd("SET")
                .arg(&key)
                .arg(p.as_str())
                .arg("PX")
                .arg(KEY_TTL_MS)
                .sadd(format!("ts:pn:{member}"), self.node.to_string())
                .sadd(format!("ts:nm:{}", self.node), &tag)
                .query_async::<()>(&mut r)
                .await
        }
    }

    /// What each member is across all nodes, before applying a manual away:
    /// two Redis round trips for the whole list (their nodes, then every
    /// node's view in one MGET), however many members it names.
    async fn combined(&self, members: &[Uuid]) -> Vec<Presence> {
        let Some(mut r) = self.redis_if_up() else {
            let t = self.tracker.lock().unwrap();
            return members.iter().map(|m| t.get(*m)).collect();
        };
        let mut pipe = redis::pipe();
        for m in members {
            pipe.smembers(format!("ts:pn:{m}"));
        }
        let nodes: Vec<Vec<String>> =
            pipe.query_async(&mut r).await.unwrap_or_else(|_| vec![Vec::new(); members.len()]);
        let keys: Vec<(usize, String, String)> = nodes
            .iter()
            .enumerate()
            .flat_map(|(i, ns)| ns.iter().map(move |n| (i, n.clone(), format!("ts:p:{}:{n}", members[i]))))
            .collect();
        let values: Vec<Option<String>> = if keys.is_empty() {
            Vec::new()
        } else {
            let names: Vec<&str> = keys.iter().map(|k| k.2.as_str()).collect();
            redis::cmd("MGET")
                .arg(&names)
                .query_async(&mut r)
                .await
                .unwrap_or_else(|_| vec![None; keys.len()])
        };
        let mut best = vec![Presence::Offline; members.len()];
        let (mut stale, mut any_stale) = (redis::pipe(), false);
        for ((i, node, _), v) in keys.iter().zip(values) {
            match v.as_deref().and_then(Presence::parse) {
                Some(p) => best[*i] = best[*i].max(p),
                None => {
                    stale.srem(format!("ts:pn:{}", members[*i]), node).ignore();
                    any_stale = true;
                }
            }
        }
        if any_stale {
            let _: redis::RedisResult<()> = stale.query_async(&mut r).await;
        }
        best
    }

    async fn away(&self, members: &[Uuid]) -> HashMap<Uuid, bool> {
        sqlx::query!("select member_id, presence_away from member where member_id = any($1)", members)
            .fetch_all(&self.db)
            .await
            .map(|rows| rows.into_iter().map(|r| (r.member_id, r.presence_away)).collect())
            .unwrap_or_default()
    }

    /// One member's presence as others see it.
    pub async fn info(&self, member: Uuid) -> PresenceInfo {
        self.many(&[member]).await.remove(0)
    }

    pub async fn many(&self, members: &[Uuid]) -> Vec<PresenceInfo> {
        let away = self.away(members).await;
        let combined = self.combined(members).await;
        let mut out = Vec::with_capacity(members.len());
        for (m, mut p) in members.iter().zip(combined) {
            let manual_away = away.get(m).copied().unwrap_or(false);
            if manual_away && p == Presence::Online {
                p = Presence::Idle;
            }
            out.push(PresenceInfo { user: *m, presence: p, manual_away });
        }
        out
    }

    /// Publishes the member's presence if it differs from what was last
    /// announced (tracked in Redis across nodes, in memory alone).
    pub async fn announce(&self, member: Uuid, workspace: Uuid) {
        let info = self.info(member).await;
        let shown = format!("{}:{}", info.presence.as_str(), info.manual_away);
        let changed = match self.redis_if_up() {
            Some(mut r) => {
                let old: Option<String> = redis::cmd("SET")
                    .arg(format!("ts:pa:{member}"))
                    .arg(&shown)
                    .arg("GET")
                    .arg("EX")
                    .arg(86_400)
                    .query_async(&mut r)
                    .await
                    .unwrap_or(None);
                old.as_deref() != Some(shown.as_str())
            }
            None => {
                let mut a = self.announced.lock().unwrap();
                let now = (info.presence, info.manual_away);
                let old = if info.presence == Presence::Offline {
                    a.remove(&member)
                } else {
                    a.insert(member, now)
                };
                old.map(|o| o.0) != Some(info.presence)
                    && !(old.is_none() && info.presence == Presence::Offline)
                    || old.is_some_and(|o| o != now)
            }
        };
        if changed {
            let ev = Event::Presence { user: member, presence: info.presence, manual_away: info.manual_away };
            self.bus.publish(Topic::Workspace(workspace), &super::Stamped::plain(ev));
        }
    }

    /// Runs forever: idle transitions every second; with Redis, the
    /// heartbeat and the reaping of dead nodes.
    pub async fn run(self: Arc<Self>) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let mut n: u64 = 0;
        let mut epoch = self.bus.epoch();
        loop {
            tick.tick().await;
            self.evaluate().await;
            let now = self.bus.epoch();
            if now != epoch && self.bus.healthy() && self.rebuild().await {
                epoch = now;
            }
            if self.redis.is_some() {
                if n.is_multiple_of(2) {
                    if let Err(e) = self.heartbeat((n / 2) as u128 % REFRESH_SLICES).await {
                        tracing::warn!(error = %e, "presence heartbeat failed");
                    }
                }
                if let Err(e) = self.reap().await {
                    tracing::warn!(error = %e, "reaping dead nodes failed");
                }
            }
            n += 1;
        }
    }

    /// The node's heartbeat, and the rewrite of one slice of its members.
    async fn heartbeat(&self, slice: u128) -> redis::RedisResult<()> {
        let Some(mut r) = self.redis_if_up() else { return Ok(()) };
        let present = self.tracker.lock().unwrap().present_where(|m| m.as_u128() % REFRESH_SLICES == slice);
        let mut pipe = redis::pipe();
        let node = self.node.to_string();
        pipe.zadd("ts:nodes", &node, now_ms());
        // The sets too, not only the keys: what Redis lost (a restart
        // between two reconnect checks) is whole again within a minute.
        for (member, ws, p) in present {
            pipe.cmd("SET").arg(format!("ts:p:{member}:{node}")).arg(p.as_str()).arg("PX").arg(KEY_TTL_MS);
            pipe.sadd(format!("ts:pn:{member}"), &node).ignore();
            pipe.sadd(format!("ts:nm:{node}"), format!("{ws}:{member}")).ignore();
        }
        pipe.query_async::<()>(&mut r).await
    }

    /// Writes this node's whole view to Redis again and announces it: after
    /// a Redis restart the per-member sets are gone, and without them the
    /// people connected here would read as offline.
    /// Returns false when it must be tried again.
    async fn rebuild(&self) -> bool {
        let present = self.tracker.lock().unwrap().present();
        tracing::info!(members = present.len(), "rewriting this node's presence after the bus reconnected");
        for (member, ws, p) in present {
            if let Err(e) = self.write_local(member, ws, p).await {
                tracing::warn!(error = %e, "presence rebuild failed; retrying");
                return false;
            }
            self.announce(member, ws).await;
        }
        true
    }

    /// Finds nodes that stopped heartbeating and announces their members'
    /// new presence (one node does it, under a lock).
    async fn reap(&self) -> redis::RedisResult<()> {
        let Some(mut r) = self.redis_if_up() else { return Ok(()) };
        let dead: Vec<String> = r.zrangebyscore("ts:nodes", 0, now_ms().saturating_sub(NODE_DEAD_MS)).await?;
        for node in dead {
            let lock: Option<String> = redis::cmd("SET")
                .arg(format!("ts:reap:{node}"))
                .arg(self.node.to_string())
                .arg("NX")
                .arg("PX")
                .arg(10_000)
                .query_async(&mut r)
                .await?;
            if lock.is_none() {
                continue;
            }
            let tags: Vec<String> = r.smembers(format!("ts:nm:{node}")).await?;
            tracing::info!(%node, members = tags.len(), "reaping a dead node");
            for tag in &tags {
                let Some((ws, member)) = tag.split_once(':') else { continue };
                let (Ok(ws), Ok(member)) = (Uuid::parse_str(ws), Uuid::parse_str(member)) else { continue };
                redis::pipe()
                    .del(format!("ts:p:{member}:{node}"))
                    .srem(format!("ts:pn:{member}"), &node)
                    .query_async::<()>(&mut r)
                    .await?;
                self.announce(member, ws).await;
            }
            redis::pipe()
                .del(format!("ts:nm:{node}"))
                .zrem("ts:nodes", &node)
                .query_async::<()>(&mut r)
                .await?;
        }
        Ok(())
    }

    /// On clean shutdown: this node's members go offline now, not in 8 s.
    pub async fn shutdown(&self) {
        let present = self.tracker.lock().unwrap().present();
        self.tracker.lock().unwrap().forget_all();
        for (member, ws, _) in &present {
            let _ = self.write_local(*member, *ws, Presence::Offline).await;
            self.announce(*member, *ws).await;
        }
        if let Some(mut r) = self.redis_if_up() {
            let _: redis::RedisResult<()> = r.zrem("ts:nodes", self.node.to_string()).await;
        }
    }
}
