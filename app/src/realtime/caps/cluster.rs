//! The socket caps across nodes, in Redis. Each open socket is an entry
//! (`<node>:<n>`) in a sorted set per member (`ts:ws:m:<member>`) and per IP
//! (`ts:ws:ip:<ip>`), scored by when it lapses. Admission is one script:
//! drop lapsed entries, count, and add to every set or to none. The node
//! re-adds its live sockets' entries every 10 s (they lapse after 30 s), so
//! a node that dies without goodbye frees its members' slots within 30 s,
//! and sockets admitted while Redis was away are counted once it is back.
//! Scores use Redis's clock (nodes' clocks may differ).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use uuid::Uuid;

/// How long an entry lives without a refresh.
const ENTRY_TTL_MS: u64 = 30_000;
const REFRESH: Duration = Duration::from_secs(10);
/// An admission waits this long for Redis, then the node decides alone.
const REDIS_WAIT: Duration = Duration::from_millis(300);
/// Entries re-added per script call.
const REFRESH_BATCH: usize = 500;

/// KEYS: the sets; ARGV: ttl, entry, then each set's cap. 1 = admitted.
const ADMIT: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) >= tonumber(ARGV[2 + i]) then return 0 end
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + ttl, ARGV[2])
  redis.call('PEXPIRE', key, ttl)
end
return 1
"#;

/// KEYS: sets; ARGV: ttl, then the entry for each set. Renews them.
const REFRESH_SCRIPT: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + ttl, ARGV[1 + i])
  redis.call('PEXPIRE', key, ttl)
end
return 1
"#;

pub(super) struct Cluster {
    redis: redis::aio::ConnectionManager,
    node: Uuid,
    next: AtomicU64,
    /// This node's live sockets: entry → the sets it is in.
    live: Mutex<HashMap<String, Vec<String>>>,
}

impl Cluster {
    pub fn start(redis: redis::aio::ConnectionManager, node: Uuid) -> Arc<Cluster> {
        let c = Arc::new(Cluster { redis, node, next: AtomicU64::new(0), live: Mutex::default() });
        let weak: Weak<Cluster> = Arc::downgrade(&c);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(REFRESH);
            loop {
                tick.tick().await;
                let Some(c) = weak.upgrade() else { return };
                if let Err(e) = c.refresh().await {
                    tracing::debug!(error = %e, "refreshing socket entries in Redis failed");
                }
            }
        });
        c
    }

    /// Adds an entry to `keys` (each with its cap) unless one is full:
    /// `None` when refused, else the entry (also when Redis did not answer:
    /// the node's own caps admitted it, and the refresh will count it).
    pub async fn admit(&self, keys: Vec<(String, usize)>) -> Option<String> {
        let id = format!("{}:{}", self.node, self.next.fetch_add(1, Relaxed));
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(ADMIT).arg(keys.len());
        for (k, _) in &keys {
            cmd.arg(k);
        }
        cmd.arg(ENTRY_TTL_MS).arg(&id);
        for (_, cap) in &keys {
            cmd.arg(*cap);
        }
        let mut conn = self.redis.clone();
        match tokio::time::timeout(REDIS_WAIT, cmd.query_async::<i64>(&mut conn)).await {
            Ok(Ok(0)) => return None,
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "socket caps: Redis failed; this node's caps decide"),
            Err(_) => tracing::warn!("socket caps: Redis did not answer in time; this node's caps decide"),
        }
        let sets = keys.into_iter().map(|(k, _)| k).collect();
        self.live.lock().unwrap_or_else(|p| p.into_inner()).insert(id.clone(), sets);
        Some(id)
    }

    /// Removes a closed socket's entry (in the background; if that fails,
    /// the entry lapses by itself).
    pub fn release(self: Arc<Self>, id: String) {
        let Some(sets) = self.live.lock().unwrap_or_else(|p| p.into_inner()).remove(&id) else { return };
        let Ok(rt) = tokio::runtime::Handle::try_current() else { return };
        rt.spawn(async move {
            let mut pipe = redis::pipe();
            for k in &sets {
                pipe.cmd("ZREM").arg(k).arg(&id).ignore();
            }
            let mut conn = self.redis.clone();
            let _ = tokio::time::timeout(REDIS_WAIT, pipe.query_async::<()>(&mut conn)).await;
        });
    }

    /// Renews every live entry of this node.
    async fn refresh(&self) -> redis::RedisResult<()> {
        let pairs: Vec<(String, String)> = {
            let live = self.live.lock().unwrap_or_else(|p| p.into_inner());
            live.iter().flat_map(|(id, sets)| sets.iter().map(move |k| (k.clone(), id.clone()))).collect()
        };
        let mut conn = self.redis.clone();
        for batch in pairs.chunks(REFRESH_BATCH) {
            let mut cmd = redis::cmd("EVAL");
            cmd.arg(REFRESH_SCRIPT).arg(batch.len());
            for (k, _) in batch {
                cmd.arg(k);
            }
            cmd.arg(ENTRY_TTL_MS);
            for (_, id) in batch {
                cmd.arg(id);
            }
            cmd.query_async::<i64>(&mut conn).await?;
        }
        Ok(())
    }
}
