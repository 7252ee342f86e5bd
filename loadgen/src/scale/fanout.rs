//! The posting side of `loadgen scale`'s `fanout` command, and its report.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use hdrhistogram::Histogram;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tokio::sync::Semaphore;

use super::sockets::Net;
use super::world::World;
use crate::now_us;
use crate::ws::Posts;

/// Posts waiting for an answer at once; each holds a connection (a file).
pub const POSTS_IN_FLIGHT: usize = 256;
/// How long to wait for deliveries after the last post answered.
const DRAIN: Duration = Duration::from_secs(10);

pub struct Plan {
    pub rate: f64,
    pub seconds: f64,
    /// Conversations with this many online people (sockets up) receive.
    pub recipients: std::ops::RangeInclusive<usize>,
    pub general_share: f64,
    pub storm_at: Option<f64>,
    pub spread: Duration,
}

/// Runs one fan-out and returns its JSON report line.
pub async fn run(
    net: &Arc<Net>,
    world: &World,
    alive: &[bool],
    plan: &Plan,
    part: usize,
    no: u64,
) -> Result<serde_json::Value> {
    let live = |c: usize| world.convs[c].members.iter().filter(|&&s| alive[s]).count();
    // Ordinary targets: any conversation in the range; the #general share
    // goes to the #general channels larger than the range (P3's big ones).
    let ordinary: Vec<usize> =
        (0..world.convs.len()).filter(|&c| live(c) >= 2 && plan.recipients.contains(&live(c))).collect();
    let generals: Vec<usize> = (0..world.convs.len())
        .filter(|&c| world.convs[c].general && live(c) > *plan.recipients.end())
        .collect();
    let tag = format!("{:08x}", rand::random::<u32>());
    net.start_run(tag.clone(), no);
    let posts = Arc::new(Posts::default());
    let in_flight = Arc::new(Semaphore::new(POSTS_IN_FLIGHT));
    let total = if ordinary.is_empty() && generals.is_empty() {
        0
    } else {
        (plan.rate * plan.seconds).round() as u64
    };
    let mut rng = SmallRng::from_entropy();
    let lead = Duration::from_millis(100);
    let (t0, t0_us) = (Instant::now() + lead, now_us() + lead.as_micros() as u64);
    if let Some(at) = plan.storm_at {
        let (net, spread) = (net.clone(), plan.spread);
        tokio::spawn(async move {
            tokio::time::sleep_until((t0 + Duration::from_secs_f64(at)).into()).await;
            net.storm.send_modify(|s| *s = (s.0 + 1, spread));
        });
    }
    let (mut recipients, mut tasks) = (0u64, Vec::with_capacity(total as usize));
    for n in 0..total {
        let offset = Duration::from_secs_f64(n as f64 / plan.rate);
        tokio::time::sleep_until((t0 + offset).into()).await;
        let general =
            !generals.is_empty() && (ordinary.is_empty() || rng.gen_bool(plan.general_share.clamp(0.0, 1.0)));
        let c = if general {
            generals[rng.gen_range(0..generals.len())]
        } else {
            ordinary[rng.gen_range(0..ordinary.len())]
        };
        let conv = &world.convs[c];
        let senders: Vec<usize> = conv.members.iter().copied().filter(|&s| alive[s]).collect();
        let sender = senders[rng.gen_range(0..senders.len())];
        let node = net.node_of(world.socks[sender].global);
        let expect = senders.len() as u64;
        recipients += expect;
        let text = format!("lg {tag}-{n} {} {node}", t0_us + offset.as_micros() as u64);
        let body =
            serde_json::json!({"channel": conv.id, "text": text, "client_msg_id": format!("{tag}-{n}")});
        let url: Arc<str> = format!("{}/api/chat.postMessage", net.urls[node]).into();
        let token = world.socks[sender].token.clone();
        tasks.push(posts.spawn(&net.http, &in_flight, url, token, body.to_string(), expect));
    }
    for t in tasks {
        t.await?;
    }
    let send_secs = t0.elapsed().as_secs_f64();
    let expected = posts.expected.load(Relaxed);
    let c = &net.counters;
    let up = alive.iter().filter(|a| **a).count() as u64;
    // Deliveries keep arriving after the last post answered; a storm must
    // also have brought every socket back.
    let until = Instant::now() + DRAIN + plan.storm_at.map_or(Duration::ZERO, |_| plan.spread);
    while (c.unique.load(Relaxed) < expected || (plan.storm_at.is_some() && c.reconnects.load(Relaxed) < up))
        && Instant::now() < until
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (unique, l) = (c.unique.load(Relaxed), net.latency.lock().unwrap());
    let first_error =
        posts.first_error.lock().unwrap().clone().or_else(|| net.first_trouble.lock().unwrap().clone());
    Ok(serde_json::json!({
        "phase": "fanout", "part": part, "sockets": up,
        "conversations": {"ordinary": ordinary.len(), "general": generals.len()},
        "posts_ok": posts.ok.load(Relaxed), "posts_failed": posts.failed.load(Relaxed),
        "post_rate": posts.ok.load(Relaxed) as f64 / send_secs,
        "recipients_mean": recipients as f64 / total.max(1) as f64,
        "expected": expected, "unique": unique, "lost": expected.saturating_sub(unique),
        "duplicated": c.duplicated.load(Relaxed), "replayed": c.replayed.load(Relaxed),
        "resync_required": c.resync.load(Relaxed), "sockets_ended": c.ended.load(Relaxed),
        "reconnects": c.reconnects.load(Relaxed), "reconnect_failures": c.reconnect_failures.load(Relaxed),
        "first_error": first_error,
        "histograms": {
            "local": buckets(&l.local), "remote": buckets(&l.remote),
            "replayed": buckets(&l.replayed), "back": buckets(&l.back),
        },
    }))
}

/// A histogram as `[value µs, count]` pairs, so the suite can merge parts exactly.
pub(super) fn buckets(h: &Histogram<u64>) -> Vec<[u64; 2]> {
    h.iter_recorded().map(|v| [h.highest_equivalent(v.value_iterated_to()), v.count_at_value()]).collect()
}
