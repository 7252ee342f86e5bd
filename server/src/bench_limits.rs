//! `threadspace bench-limits`: what one rate-limit check costs, so the
//! limiter's share of a write is a measured figure, not a guess.
//!
//! Every API write and search takes from two buckets (the member's and the
//! IP's) before any work. This drives [`Limits::check`] directly, in
//! process and through Redis (the script every node runs), at concurrency 1
//! and 32, with 10,000 members behind 250 addresses and the quotas scaled
//! up so that no check is refused (the allowed path writes both buckets,
//! the costlier one). It prints, per run: checks per second, latency
//! p50/p99/p99.9, this process's CPU per check and, for Redis, Redis's own
//! CPU per check (from `INFO cpu`).

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::ratelimit::{Class, Limits, LimitsConfig};
use hdrhistogram::Histogram;
use uuid::Uuid;

/// This process's user + system CPU time.
fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes into the zeroed struct it is given.
    let u = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut u);
        u
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// Redis's own CPU seconds so far (`used_cpu_user` + `used_cpu_sys`).
async fn redis_cpu(url: &str) -> anyhow::Result<f64> {
    let client = redis::Client::open(url)?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let info: String = redis::cmd("INFO").arg("cpu").query_async(&mut conn).await?;
    Ok(info
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| *k == "used_cpu_user" || *k == "used_cpu_sys")
        .filter_map(|(_, v)| v.trim().parse::<f64>().ok())
        .sum())
}

struct Run {
    checks: u64,
    refused: u64,
    latency: Histogram<u64>,
    elapsed: Duration,
    cpu: Duration,
}

async fn drive(limits: Arc<Limits>, concurrency: usize, seconds: u64) -> Run {
    let members: Arc<Vec<Uuid>> = Arc::new((0..10_000).map(|_| Uuid::now_v7()).collect());
    let (start, cpu0) = (Instant::now(), cpu_time());
    let until = start + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..concurrency)
        .map(|w| {
            let (limits, members) = (limits.clone(), members.clone());
            tokio::spawn(async move {
                let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram");
                let (mut i, mut refused) = (w * 7919, 0u64);
                while Instant::now() < until {
                    i += 1;
                    let member = members[i % members.len()];
                    let ip = IpAddr::V4(Ipv4Addr::new(10, 0, (i % 250) as u8, 1));
                    let t = Instant::now();
                    if limits.check(Class::Write, Some(member), Some(ip)).await.is_err() {
                        refused += 1;
                    }
                    h.saturating_record(t.elapsed().as_micros().max(1) as u64);
                }
                (h, refused)
            })
        })
        .collect();
    let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram");
    let mut refused = 0;
    for t in tasks {
        let (h, r) = t.await.expect("bench task");
        latency.add(h).expect("same bounds");
        refused += r;
    }
    Run { checks: latency.len(), refused, latency, elapsed: start.elapsed(), cpu: cpu_time() - cpu0 }
}

/// Runs the benchmark for `seconds` per case and prints a markdown table.
pub async fn run(redis_url: Option<&str>, seconds: u64) -> anyhow::Result<()> {
    // Quotas so large that nothing is refused: every check takes the full
    // (writing) path. Password budgets are not used here.
    let cfg = LimitsConfig { scale: 1e6, ..LimitsConfig::default() };
    let mut backends = vec![("in process", Arc::new(Limits::new(cfg.clone(), None)), None)];
    match redis_url {
        Some(url) => backends.push((
            "Redis",
            Arc::new(Limits::connect(cfg, Some(url)).await.map_err(anyhow::Error::msg)?),
            Some(url),
        )),
        None => println!("REDIS_URL is not set: only the in-process limiter is measured"),
    }
    println!("| limiter | concurrency | checks/s | p50 µs | p99 µs | p99.9 µs | CPU µs/check (this process) | Redis CPU µs/check | refused |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for (name, limits, url) in backends {
        for concurrency in [1, 32] {
            let before = match url {
                Some(u) => Some(redis_cpu(u).await?),
                None => None,
            };
            let r = drive(limits.clone(), concurrency, seconds).await;
            let redis_per = match (url, before) {
                (Some(u), Some(b)) => {
                    format!("{:.1}", (redis_cpu(u).await? - b) * 1e6 / r.checks.max(1) as f64)
                }
                _ => "-".into(),
            };
            println!(
                "| {name} | {concurrency} | {:.0} | {} | {} | {} | {:.1} | {redis_per} | {} |",
                r.checks as f64 / r.elapsed.as_secs_f64(),
                r.latency.value_at_quantile(0.5),
                r.latency.value_at_quantile(0.99),
                r.latency.value_at_quantile(0.999),
                r.cpu.as_secs_f64() * 1e6 / r.checks.max(1) as f64,
                r.refused,
            );
        }
    }
    Ok(())
}
