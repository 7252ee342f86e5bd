//! The GCRA in Redis, so a limit holds across every node: one script takes
//! one request from each given bucket, or from none, using Redis's own
//! clock (nodes' clocks may differ). Each key expires when its bucket is
//! full again, so Redis keeps only buckets that are in use.

use super::quota::Quota;

/// KEYS: the buckets; ARGV: interval and tolerance (ms) per bucket.
/// Returns 0 when allowed, else the milliseconds to wait.
const SCRIPT: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait = 0
local next = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local tolerance = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  next[i] = tat + interval
  local over = next[i] - now - tolerance
  if over > wait then wait = over end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, next[i], 'PX', next[i] - now)
end
return 0
"#;

/// Runs the script: `Ok(0)` when allowed, `Ok(ms)` to wait.
pub async fn take(
    conn: &mut redis::aio::ConnectionManager,
    keys: &[(String, Quota)],
) -> redis::RedisResult<u64> {
    let mut cmd = redis::cmd("EVAL");
    cmd.arg(SCRIPT).arg(keys.len());
    for (k, _) in keys {
        cmd.arg(format!("ts:rl:{k}"));
    }
    for (_, q) in keys {
        cmd.arg(q.interval_ms()).arg(q.tolerance_ms());
    }
    let wait: i64 = cmd.query_async(conn).await?;
    Ok(wait.max(0) as u64)
}
