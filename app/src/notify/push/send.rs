//! The pusher: every node runs one. It takes queued messages with `for
//! update skip locked` (nodes share the work; none pushes twice), removes
//! them in the same short transaction, then decides and posts outside it:
//! a push is a hint, so at most once is right, and no row lock waits on a
//! push service.
//!
//! Cost is bounded: a tick takes at most [`BATCH`] messages; readers are
//! only those with a subscription who have not read the message; presence
//! comes from the nodes' shared view in one call; each post has a 10 s
//! deadline and no redirects.

use std::sync::Arc;
use std::time::Duration;

use sqlx::{PgPool, Row};
use time::OffsetDateTime;
use uuid::Uuid;
use web_push_native::jwt_simple::algorithms::{ECDSAP256PublicKeyLike, ES256KeyPair};
use web_push_native::{p256, Auth, WebPushBuilder};

use super::{b64url, Payload, PushConfig};
use crate::error::AppResult;
use crate::messages::Message;
use crate::notify::rules::{self, Moment, Seen};
use crate::realtime::presence::PresenceService;
use crate::realtime::Presence;

/// Most messages one tick handles.
pub const BATCH: i64 = 100;

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    pub messages: usize,
    pub pushed: usize,
    /// Subscriptions the push service said are gone (404/410), deleted.
    pub expired: usize,
    pub failed: usize,
}

/// A reader who may be told, with what decides it.
struct Reader {
    member: Uuid,
    is_dm: bool,
    follows: bool,
    conv: String,
}

/// A new VAPID private key: 32 random bytes that are a valid P-256 scalar.
pub fn new_key() -> Vec<u8> {
    p256::SecretKey::random(&mut p256::elliptic_curve::rand_core::OsRng).to_bytes().to_vec()
}

/// The pusher; cheap to clone.
#[derive(Clone)]
pub struct Pusher {
    db: PgPool,
    presence: Arc<PresenceService>,
    key: Arc<ES256KeyPair>,
    /// The VAPID `sub` claim: a contact for push services.
    contact: String,
    http: reqwest::Client,
    tick: Duration,
}

impl Pusher {
    /// `key` is the VAPID private key (32 bytes), as kept in the data directory.
    pub fn new(
        db: PgPool,
        presence: Arc<PresenceService>,
        key: &[u8],
        public_url: &str,
        tick: Duration,
    ) -> Result<Pusher, String> {
        let key = ES256KeyPair::from_bytes(key).map_err(|e| format!("VAPID key: {e}"))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        // RFC 8292 asks for a contact: the site's https address, or a mailbox.
        let site = public_url.trim_end_matches('/');
        let contact =
            if site.starts_with("https://") { site.to_string() } else { "mailto:admin@localhost".into() };
        Ok(Pusher { db, presence, key: Arc::new(key), contact, http, tick })
    }

    /// The public half, as browsers take it (`applicationServerKey`).
    pub fn config(&self, extra: Vec<String>) -> PushConfig {
        use base64::Engine;
        let point = self.key.public_key().public_key().to_bytes_uncompressed();
        PushConfig { public_key: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(point), extra }
    }

    /// Runs the pusher on this node.
    pub fn start(self) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(self.tick);
            loop {
                tick.tick().await;
                if let Err(e) = self.run_once().await {
                    tracing::warn!(error = ?e, "web push: a tick failed");
                }
            }
        });
    }

    /// One tick: queued messages taken, decided and pushed.
    pub async fn run_once(&self) -> AppResult<Tick> {
        let mut tx = self.db.begin().await?;
        let taken: Vec<(Uuid, i64)> = sqlx::query_as(
            "delete from push_outbox o using (
               select channel_id, seq from push_outbox order by queued_at limit $1 for update skip locked) d
              where o.channel_id = d.channel_id and o.seq = d.seq returning o.channel_id, o.seq",
        )
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut tick = Tick { messages: taken.len(), ..Tick::default() };
        for (channel, seq) in taken {
            self.message(channel, seq, &mut tick).await?;
        }
        Ok(tick)
    }

    async fn message(&self, channel: Uuid, seq: i64, tick: &mut Tick) -> AppResult<()> {
        let mut conn = self.db.acquire().await?;
        let message = match crate::messages::queries::get(&mut conn, channel, seq).await {
            Ok(m) if !m.is_deleted => m,
            _ => return Ok(()),
        };
        let readers = self.readers(&mut conn, &message).await?;
        drop(conn);
        let ids: Vec<Uuid> = readers.iter().map(|r| r.member).collect();
        let away: std::collections::HashSet<Uuid> = self
            .presence
            .many(&ids)
            .await
            .into_iter()
            .filter(|p| p.presence == Presence::Offline)
            .map(|p| p.user)
            .collect();
        // Decide with one connection, then post with none held: a slow push
        // service must not keep a database connection.
        let now = OffsetDateTime::now_utc();
        let mut told = Vec::new();
        let mut conn = self.db.acquire().await?;
        for r in readers.iter().filter(|r| away.contains(&r.member)) {
            let prefs = crate::notify::store::read(&mut conn, r.member).await?;
            let local_minute = match prefs.schedule {
                Some(_) => crate::notify::store::local_minute(&mut conn, &prefs.time_zone, now).await?,
                None => 0,
            };
            let seen = Seen { me: r.member, is_dm: r.is_dm, follows_thread: r.follows, message: &message };
            let at = Moment { now, local_minute, active: false, viewing: false };
            if let Some(reason) = rules::decide(&prefs, seen, at) {
                told.push((r.member, rules::title(reason, &message, &r.conv)));
            }
        }
        drop(conn);
        for (member, title) in told {
            let payload = Payload {
                title,
                body: rules::body(&message),
                url: rules::href(&message),
                tag: format!("{}:{}", message.channel, message.seq),
            };
            self.push_to(member, &payload, tick).await?;
        }
        Ok(())
    }

    /// The conversation's other members with a live device who have not
    /// read the message and whom it may concern: a DM, a mention of them or
    /// of everyone, a followed thread, a keyword list, or a conversation set
    /// to everything. The rule decides the rest; this keeps a busy channel's
    /// plain messages from reading every reader's preferences.
    async fn readers(&self, conn: &mut sqlx::PgConnection, m: &Message) -> AppResult<Vec<Reader>> {
        let rows = sqlx::query(
            "select cm.member_id, c.kind in ('dm', 'group_dm') as is_dm, c.kind, c.name,
                    exists (select 1 from thread_follow f where f.channel_id = $1 and f.thread_seq = $3
                             and f.member_id = cm.member_id) as follows
               from channel_member cm
               join channel c on c.channel_id = cm.channel_id
               join member me on me.member_id = cm.member_id and me.deactivated_at is null
              where cm.channel_id = $1 and cm.member_id <> $2 and not cm.muted and cm.last_read_seq < $4
                and coalesce(cm.notify_level, me.notify_level) <> 'nothing'
                and (c.kind in ('dm', 'group_dm') or cm.member_id = any($5) or $6
                     or coalesce(cm.notify_level, me.notify_level) = 'all'
                     or cardinality(me.notify_keywords) > 0
                     or exists (select 1 from thread_follow f where f.channel_id = $1 and f.thread_seq = $3
                                 and f.member_id = cm.member_id))
                and exists (select 1 from push_subscription p join auth_session s using (auth_session_id)
                             where p.member_id = cm.member_id and s.revoked_at is null
                               and s.member_id = p.member_id)",
        )
        .bind(m.channel)
        .bind(m.user)
        .bind(m.thread_seq.unwrap_or(-1))
        .bind(m.seq)
        .bind(&m.mentions)
        .bind(m.mentions_all)
        .fetch_all(&mut *conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let kind: String = r.get("kind");
                let name: Option<String> = r.get("name");
                Reader {
                    member: r.get("member_id"),
                    is_dm: r.get("is_dm"),
                    follows: r.get("follows"),
                    conv: match (kind.as_str(), name) {
                        ("dm", _) => "a direct message".into(),
                        ("group_dm", _) | (_, None) => "a group message".into(),
                        (_, Some(n)) => format!("#{n}"),
                    },
                }
            })
            .collect())
    }

    /// Posts the payload to each live device of the member.
    async fn push_to(&self, member: Uuid, payload: &Payload, tick: &mut Tick) -> AppResult<()> {
        let devices: Vec<(Uuid, String, String, String)> = sqlx::query_as(
            "select p.push_subscription_id, p.endpoint, p.p256dh, p.auth
               from push_subscription p join auth_session s using (auth_session_id)
              where p.member_id = $1 and s.revoked_at is null and s.member_id = p.member_id",
        )
        .bind(member)
        .fetch_all(&self.db)
        .await?;
        let body = serde_json::to_vec(payload).unwrap_or_default();
        for (id, endpoint, p256dh, auth) in devices {
            match self.post(&endpoint, &p256dh, &auth, body.clone()).await {
                Ok(status) if status == 404 || status == 410 => {
                    sqlx::query("delete from push_subscription where push_subscription_id = $1")
                        .bind(id)
                        .execute(&self.db)
                        .await?;
                    tick.expired += 1;
                }
                Ok(status) if (200..300).contains(&status) => {
                    sqlx::query(
                        "update push_subscription set last_push_at = now() where push_subscription_id = $1",
                    )
                    .bind(id)
                    .execute(&self.db)
                    .await?;
                    tick.pushed += 1;
                }
                Ok(status) => {
                    tracing::warn!(status, "web push: the push service refused a push");
                    tick.failed += 1;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "web push: a push failed");
                    tick.failed += 1;
                }
            }
        }
        Ok(())
    }

    /// Encrypts (RFC 8291), signs (VAPID) and posts one push; the status.
    async fn post(&self, endpoint: &str, p256dh: &str, auth: &str, body: Vec<u8>) -> Result<u16, String> {
        let key =
            b64url(p256dh).and_then(|k| p256::PublicKey::from_sec1_bytes(&k).ok()).ok_or("bad p256dh")?;
        let auth = b64url(auth).filter(|a| a.len() == 16).ok_or("bad auth")?;
        let uri: http::Uri = endpoint.parse().map_err(|_| "bad endpoint")?;
        let request = WebPushBuilder::new(uri, key, Auth::clone_from_slice(&auth))
            .with_valid_duration(Duration::from_secs(4 * 3600))
            .with_vapid(&self.key, &self.contact)
            .build(body)
            .map_err(|e| e.to_string())?;
        let (parts, body) = request.into_parts();
        let mut req = self.http.post(endpoint).body(body);
        for (name, value) in parts.headers.iter() {
            req = req.header(name.as_str(), value.as_bytes());
        }
        let res = req.header("Urgency", "high").send().await.map_err(|e| e.to_string())?;
        Ok(res.status().as_u16())
    }
}
