//! `loadgen scale`'s `mix` command: the requests of a working day at a fixed
//! total rate (open loop, each request's latency counted from when it was
//! due), as randomly chosen online people of this part, in weights the suite
//! gives (its model is in scripts/scale/suite.py and docs/benchmarks.md).
//!
//! Classes: `sidebar` (users.conversations), `history` (the newest page of
//! one of the person's conversations), `send` (chat.postMessage), `mark`
//! (conversations.mark), `presence` (users.presence for the people of a
//! conversation), `search` (search.messages), `users` (users.list as the
//! switcher sends it) and `typing` (a frame on the person's socket; no
//! answer, so it is counted, not timed).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use hdrhistogram::Histogram;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tokio::sync::Semaphore;

use super::fanout::buckets;
use super::sockets::{histogram, Net};
use super::world::World;
use crate::ws::post;

pub type Outbox = tokio::sync::mpsc::UnboundedSender<String>;

const CLASSES: [&str; 8] = ["sidebar", "history", "send", "mark", "presence", "search", "users", "typing"];
/// Requests waiting for an answer at once; each holds a connection (a file).
const IN_FLIGHT: usize = 512;
const WORDS: [&str; 8] =
    ["release", "budget", "design", "incident", "roadmap", "review", "customer", "zq01234"];

/// `class:weight,…` → (class index, weight).
pub fn classes(spec: &str) -> Result<Vec<(usize, f64)>> {
    let mut out = Vec::new();
    for item in spec.split(',') {
        let Some((name, w)) = item.split_once(':') else { bail!("{item}: expected class:weight") };
        let Some(i) = CLASSES.iter().position(|c| *c == name) else {
            bail!("unknown class {name}: {CLASSES:?}")
        };
        out.push((i, w.parse::<f64>()?));
    }
    if out.iter().all(|(_, w)| *w <= 0.0) {
        bail!("no class has a positive weight");
    }
    Ok(out)
}

struct Class {
    ok: AtomicU64,
    failed: AtomicU64,
    first_error: Mutex<Option<String>>,
    latency: Mutex<Histogram<u64>>,
}

/// Runs the mix and returns its JSON report (per class: counts and latency buckets).
pub async fn run(
    net: &Arc<Net>,
    world: &World,
    alive: &[bool],
    outboxes: &[Outbox],
    weights: &[(usize, f64)],
    rate: f64,
    seconds: f64,
) -> Result<serde_json::Value> {
    let member_of = world.memberships();
    let people: Vec<usize> =
        (0..world.socks.len()).filter(|&s| alive[s] && !member_of[s].is_empty()).collect();
    let stats: Arc<Vec<Class>> = Arc::new(
        (0..CLASSES.len())
            .map(|_| Class {
                ok: AtomicU64::new(0),
                failed: AtomicU64::new(0),
                first_error: Mutex::new(None),
                latency: Mutex::new(histogram()),
            })
            .collect(),
    );
    let total_w: f64 = weights.iter().map(|(_, w)| w.max(0.0)).sum();
    let in_flight = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut rng = SmallRng::from_entropy();
    let t0 = Instant::now() + Duration::from_millis(100);
    let n = if people.is_empty() { 0 } else { (rate * seconds).round() as u64 };
    let mut tasks = Vec::new();
    for k in 0..n {
        let due = t0 + Duration::from_secs_f64(k as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        let mut pick = rng.gen_range(0.0..total_w);
        let class = weights.iter().find(|(_, w)| {
            pick -= w.max(0.0);
            pick < 0.0
        });
        let class = class.map_or(weights[0].0, |c| c.0);
        let s = people[rng.gen_range(0..people.len())];
        let conv = &world.convs[member_of[s][rng.gen_range(0..member_of[s].len())]];
        if CLASSES[class] == "typing" {
            let frame = serde_json::json!({"type": "typing", "channel": conv.id});
            let sent = outboxes[s].send(frame.to_string()).is_ok();
            (if sent { &stats[class].ok } else { &stats[class].failed }).fetch_add(1, Relaxed);
            continue;
        }
        let (method, body) = match CLASSES[class] {
            "sidebar" => ("users.conversations", serde_json::json!({})),
            "history" => ("conversations.history", serde_json::json!({"channel": conv.id, "limit": 50})),
            "send" => (
                "chat.postMessage",
                serde_json::json!({"channel": conv.id, "text": format!("mix {k} on the release plan")}),
            ),
            "mark" => ("conversations.mark", serde_json::json!({"channel": conv.id, "seq": conv.last_seq})),
            "presence" => {
                let ids: Vec<&str> =
                    conv.members.iter().take(50).map(|&m| world.socks[m].member.as_str()).collect();
                ("users.presence", serde_json::json!({"users": ids}))
            }
            "search" => {
                ("search.messages", serde_json::json!({"query": WORDS[rng.gen_range(0..WORDS.len())]}))
            }
            _ => (
                "users.list",
                serde_json::json!({"query": format!("Person {}-{}", world.socks[s].workspace, rng.gen_range(1..10)), "limit": 20}),
            ),
        };
        let url = format!("{}/api/{method}", net.urls[net.node_of(world.socks[s].global)]);
        let token = world.socks[s].token.clone();
        let (net, stats, in_flight) = (net.clone(), stats.clone(), in_flight.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = in_flight.acquire().await.expect("never closed");
            let c = &stats[class];
            match post(&net.http, &url, &token, body.to_string()).await {
                Ok(()) => {
                    c.ok.fetch_add(1, Relaxed);
                    c.latency.lock().unwrap().saturating_record(due.elapsed().as_micros() as u64);
                }
                Err(e) => {
                    c.failed.fetch_add(1, Relaxed);
                    c.first_error.lock().unwrap().get_or_insert(e);
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let secs = t0.elapsed().as_secs_f64();
    let mut out = serde_json::Map::new();
    for (i, c) in stats.iter().enumerate() {
        let (ok, failed) = (c.ok.load(Relaxed), c.failed.load(Relaxed));
        if ok + failed == 0 {
            continue;
        }
        let buckets = buckets(&c.latency.lock().unwrap());
        out.insert(
            CLASSES[i].into(),
            serde_json::json!({"ok": ok, "failed": failed, "first_error": c.first_error.lock().unwrap().clone(), "latency": buckets}),
        );
    }
    Ok(serde_json::json!({"phase": "mix", "secs": secs, "classes": out}))
}
