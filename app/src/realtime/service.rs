//! The realtime service as the rest of the server sees it: the hub and bus,
//! presence, connection tickets, and the background work. Writes do not
//! publish through it: `core::tx::Tx::commit` does. Only ephemeral signals
//! that store nothing (typing) go out through [`Realtime::signal`].

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

use super::bus::{EventBus, LocalBus, Topic};
use super::hub::Hub;
use super::presence::PresenceService;
use super::redis_bus::RedisBus;
use super::Event;
use crate::auth::secrets::{hash_secret, new_secret};
use crate::error::{AppError, AppResult};

/// Tunables, from the server's configuration.
#[derive(Debug, Clone)]
pub struct RealtimeConfig {
    pub redis_url: Option<String>,
    /// Undelivered events a socket may queue before it must resync.
    pub socket_queue: usize,
    pub heartbeat: Duration,
    /// Open sockets accepted per member and per IP (across the cluster when
    /// Redis is configured).
    pub per_member: usize,
    pub per_ip: usize,
}

impl Default for RealtimeConfig {
    fn default() -> Self {
        RealtimeConfig {
            redis_url: None,
            socket_queue: 256,
            heartbeat: Duration::from_secs(30),
            per_member: 20,
            per_ip: 2000,
        }
    }
}

pub struct Realtime {
    pub node: Uuid,
    pub hub: Arc<Hub>,
    pub presence: Arc<PresenceService>,
    pub caps: super::caps::SocketCaps,
    pub config: RealtimeConfig,
    shutdown: tokio::sync::watch::Sender<bool>,
}

/// How long an `rtm.connect` ticket is valid.
pub const TICKET_SECS: i64 = 30;

impl Realtime {
    /// Connects the bus (Redis when configured) and starts the background
    /// tasks: presence ticks and topic sweeping.
    pub async fn start(db: PgPool, config: RealtimeConfig) -> Result<Arc<Realtime>, String> {
        let node = Uuid::now_v7();
        let (bus, redis): (Arc<dyn EventBus>, _) = match &config.redis_url {
            Some(url) => {
                let bus = RedisBus::connect(url, node).await?;
                let client = redis::Client::open(url.as_str()).map_err(|e| e.to_string())?;
                let conn = super::redis_bus::connection(&client).await?;
                (bus, Some(conn))
            }
            None => (Arc::new(LocalBus::default()), None),
        };
        tracing::info!(%node, bus = bus.name(), "realtime started");
        let hub = Hub::new(bus.clone(), config.socket_queue);
        let caps = match &redis {
            Some(conn) => {
                super::caps::SocketCaps::shared(config.per_member, config.per_ip, conn.clone(), node)
            }
            None => super::caps::SocketCaps::new(config.per_member, config.per_ip),
        };
        let presence = PresenceService::new(node, db, bus, redis);
        tokio::spawn(presence.clone().run());
        let sweeper = Arc::downgrade(&hub);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(10));
            loop {
                tick.tick().await;
                let Some(hub) = sweeper.upgrade() else { return };
                hub.sweep().await;
            }
        });
        let (shutdown, _) = tokio::sync::watch::channel(false);
        Ok(Arc::new(Realtime { node, hub, presence, caps, config, shutdown }))
    }

    /// Changes when the server shuts down: sockets close with 1001.
    pub fn shutdown_signal(&self) -> tokio::sync::watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Closes every socket and takes this node's members offline now.
    pub async fn shutdown(&self) {
        let _ = self.shutdown.send(true);
        self.presence.shutdown().await;
    }

    /// Sends an ephemeral signal (typing) that stores nothing: the one
    /// publish outside a transaction, because there is no write to follow.
    pub fn signal(&self, channel: Uuid, event: &Event) {
        debug_assert!(matches!(event, Event::Typing { .. }));
        self.hub.bus().publish(Topic::Channel(channel), &super::Stamped::plain(event.clone()));
    }

    /// The bus's name and whether it reaches the other nodes.
    pub fn bus_status(&self) -> (&'static str, bool) {
        let bus = self.hub.bus();
        (bus.name(), bus.healthy())
    }

    /// A single-use ticket for `/ws?ticket=…`, valid for 30 s. It remembers
    /// the credential it was issued to, which the socket then answers to.
    pub async fn issue_ticket(db: &PgPool, member: Uuid, credential: Option<Uuid>) -> AppResult<String> {
        let (raw, hash) = new_secret("wst-");
        sqlx::query(
            "insert into ws_ticket (ticket_hash, member_id, expires_at, credential)
             values ($1, $2, now() + make_interval(secs => $3), $4)",
        )
        .bind(hash)
        .bind(member)
        .bind(TICKET_SECS as f64)
        .bind(credential)
        .execute(db)
        .await?;
        sqlx::query!("delete from ws_ticket where expires_at < now() - interval '1 minute'")
            .execute(db)
            .await?;
        Ok(raw)
    }

    /// Uses up a ticket: its member and credential; `invalid_auth` when
    /// unknown, used or expired.
    pub async fn redeem_ticket(db: &PgPool, raw: &str) -> AppResult<(Uuid, Option<Uuid>)> {
        let row: Option<(Uuid, Option<Uuid>, bool)> = sqlx::query_as(
            // The credential that minted the ticket must still be live: a
            // token or session revoked after `rtm.connect` opens no socket
            // (the revocation's event went out before the socket existed).
            "with t as (delete from ws_ticket where ticket_hash = $1 returning member_id, credential, expires_at)
             select member_id, credential,
                    expires_at > now() and (credential is null
                      or exists (select 1 from api_token k where k.api_token_id = t.credential and k.revoked_at is null
                                 and (k.expires_at is null or k.expires_at > now()))
                      or exists (select 1 from auth_session s where s.auth_session_id = t.credential
                                 and s.revoked_at is null))
             from t",
        )
        .bind(hash_secret(raw))
        .fetch_optional(db)
        .await?;
        match row {
            Some((member, credential, true)) => Ok((member, credential)),
            _ => Err(AppError::InvalidAuth),
        }
    }
}
