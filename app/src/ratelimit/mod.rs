//! Rate limits that hold across nodes.
//!
//! Every request that costs others something takes from token buckets,
//! per member and per client IP, by class: password checks, writes,
//! workspace-wide announcements, uploads and searches. With Redis the
//! buckets live there (one script takes from all of a request's buckets at
//! once, on Redis's clock), so N nodes still allow one budget. Without Redis,
//! or while it does not answer, the same algorithm runs in process
//! ([`gcra`]): a Redis outage loosens the limits to per node, it never
//! refuses or delays anyone.
//!
//! A refused request gets `rate_limited` with `retry_after`, before any work.
//! Which class an API method is in is decided in [`classes`] (the gateway
//! applies it); password checks are taken inside the actions that check one.
//! WebSocket frames have their own per-socket budgets (`server::ws`).

pub mod classes;
pub mod gcra;
mod quota;
mod redis;

pub use quota::Quota;

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// The longest a limit check waits for Redis before using the local buckets.
const REDIS_WAIT: Duration = Duration::from_millis(250);
/// After a Redis failure, how long checks stay local before trying again.
const REDIS_BACKOFF: Duration = Duration::from_secs(5);

/// What a request costs others, and so which budget it takes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Messages, reactions, marks, memberships, tokens: every other write.
    Write,
    /// Writes announced to a whole workspace: new channels and DMs, topic,
    /// purpose and name changes, profile and status changes, admin changes.
    Announce,
    /// Files and pictures.
    Upload,
    /// Searches (each may read many rows).
    Search,
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::Write => "write",
            Class::Announce => "announce",
            Class::Upload => "upload",
            Class::Search => "search",
        }
    }

    /// One member's budget. Generous for a person at a keyboard (search as
    /// you type sends a request per pause), tight for a script.
    pub fn member_quota(self) -> Quota {
        match self {
            Class::Write => Quota { per_minute: 300, burst: 60 },
            Class::Announce => Quota { per_minute: 20, burst: 10 },
            Class::Upload => Quota { per_minute: 30, burst: 10 },
            Class::Search => Quota { per_minute: 240, burst: 60 },
        }
    }
}

/// The limits' settings (from the server's configuration).
#[derive(Debug, Clone)]
pub struct LimitsConfig {
    /// Multiplies every class's quota; 0 switches the class limits off
    /// (password checks stay limited).
    pub scale: f64,
    /// An IP's budget is this many members' (offices share one address).
    pub ip_factor: u32,
    /// Password checks per minute per account, and per IP.
    pub password_per_account: u32,
    pub password_per_ip: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig { scale: 1.0, ip_factor: 20, password_per_account: 5, password_per_ip: 30 }
    }
}

/// The limiter every node shares (through Redis when it has one).
pub struct Limits {
    cfg: LimitsConfig,
    local: gcra::Local,
    redis: Option<::redis::aio::ConnectionManager>,
    redis_down_until: Mutex<Option<Instant>>,
}

impl Limits {
    pub fn new(cfg: LimitsConfig, redis: Option<::redis::aio::ConnectionManager>) -> Limits {
        Limits { cfg, local: gcra::Local::default(), redis, redis_down_until: Mutex::new(None) }
    }

    /// Limits kept in Redis at `redis_url` (in process without one).
    pub async fn connect(cfg: LimitsConfig, redis_url: Option<&str>) -> Result<Limits, String> {
        let redis = match redis_url {
            Some(url) => {
                let client = ::redis::Client::open(url).map_err(|e| format!("bad REDIS_URL: {e}"))?;
                Some(crate::realtime::redis_bus::connection(&client).await?)
            }
            None => None,
        };
        Ok(Limits::new(cfg, redis))
    }

    /// In-process limits with these password budgets (tests, tools).
    pub fn local(password_per_account: u32, password_per_ip: u32) -> Limits {
        let cfg = LimitsConfig { password_per_account, password_per_ip, ..LimitsConfig::default() };
        Limits::new(cfg, None)
    }

    /// Takes one request of `class` for this member and IP.
    pub async fn check(&self, class: Class, member: Option<Uuid>, ip: Option<IpAddr>) -> AppResult<()> {
        if self.cfg.scale <= 0.0 {
            return Ok(());
        }
        let q = class.member_quota().scaled(self.cfg.scale);
        let mut keys = Vec::with_capacity(2);
        if let Some(m) = member {
            keys.push((format!("{}:m:{m}", class.name()), q));
        }
        if let Some(ip) = ip {
            let per_ip = Quota {
                per_minute: q.per_minute.saturating_mul(self.cfg.ip_factor.max(1)),
                burst: q.burst.saturating_mul(self.cfg.ip_factor.max(1)),
            };
            keys.push((format!("{}:ip:{ip}", class.name()), per_ip));
        }
        self.take(&keys, class.name()).await
    }

    /// Takes one password check for this account (by email) and IP: login,
    /// password change and reset requests, invite acceptance.
    pub async fn password(&self, email: &str, ip: Option<IpAddr>) -> AppResult<()> {
        let mut keys = vec![self.account_key(email)];
        keys.extend(ip.map(|ip| self.ip_key(ip)));
        self.take(&keys, "password").await
    }

    /// Takes one attempt from the IP's password budget only (sign-up: a new
    /// address has no account to protect).
    pub async fn password_ip(&self, ip: Option<IpAddr>) -> AppResult<()> {
        let keys: Vec<_> = ip.map(|ip| self.ip_key(ip)).into_iter().collect();
        self.take(&keys, "password").await
    }

    /// Takes one attempt from the address's password budget only (sign-up
    /// of an existing address: it bounds how often its owner is mailed).
    pub async fn password_account(&self, email: &str) -> AppResult<()> {
        self.take(&[self.account_key(email)], "password").await
    }

    fn account_key(&self, email: &str) -> (String, Quota) {
        let n = self.cfg.password_per_account.max(1);
        (format!("password:a:{}", email.to_lowercase()), Quota { per_minute: n, burst: n })
    }

    fn ip_key(&self, ip: IpAddr) -> (String, Quota) {
        let n = self.cfg.password_per_ip.max(1);
        (format!("password:ip:{ip}"), Quota { per_minute: n, burst: n })
    }

    async fn take(&self, keys: &[(String, Quota)], class: &'static str) -> AppResult<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let wait = match self.redis_conn() {
            Some(mut conn) => match tokio::time::timeout(REDIS_WAIT, redis::take(&mut conn, keys)).await {
                Ok(Ok(wait)) => wait,
                Ok(Err(e)) => self.redis_failed(&e.to_string(), keys),
                Err(_) => self.redis_failed("no answer in time", keys),
            },
            None => self.local.take(keys),
        };
        if wait == 0 {
            return Ok(());
        }
        metrics::counter!("rate_limited_total", "class" => class).increment(1);
        Err(AppError::RateLimited { retry_after_secs: wait.div_ceil(1000).max(1) })
    }

    fn redis_conn(&self) -> Option<::redis::aio::ConnectionManager> {
        let conn = self.redis.as_ref()?;
        let mut down = self.redis_down_until.lock().unwrap_or_else(|p| p.into_inner());
        match *down {
            Some(until) if Instant::now() < until => None,
            _ => {
                *down = None;
                Some(conn.clone())
            }
        }
    }

    /// Redis did not answer: use the local buckets for a while.
    fn redis_failed(&self, why: &str, keys: &[(String, Quota)]) -> u64 {
        tracing::warn!(error = why, "rate limits: Redis failed; limiting per node for {REDIS_BACKOFF:?}");
        *self.redis_down_until.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(Instant::now() + REDIS_BACKOFF);
        self.local.take(keys)
    }

    /// Forgets local buckets that are full again (call once a minute).
    pub fn housekeeping(&self) {
        self.local.housekeeping();
    }
}
