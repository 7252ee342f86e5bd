//! `loadgen faults`: chat traffic across several nodes while something
//! breaks, and the proof that nothing was lost. Used by `scripts/faults`,
//! which starts the real processes (Postgres, Redis, `threadspace` nodes)
//! and passes the fault as a shell command (kill a node, stop Redis for
//! 10 s, restart Postgres).
//!
//! Every member of the plan stays online over a socket ([`client`]) that
//! reconnects and resumes like the browser. Messages are posted on a fixed
//! schedule to a random node, each with its own `client_msg_id`, and retried
//! (same id, next node) until acknowledged, as the browser's outbox does.
//! At the end it counts, from the members' sockets and from
//! `conversations.history`:
//! - acknowledged, and acknowledged but not stored (must be 0);
//! - stored, and stored twice (must be 0);
//! - deliveries expected (every member of the channel, for every
//!   acknowledged message), shown live, by resume replay or by gap fetch,
//!   lost and shown twice (both must be 0);
//! - the recovery time: from the fault to the last send acknowledged, or
//!   message shown, more than 1 s after it was due.

mod client;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::now_us;

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};
use tokio::sync::watch;

use client::{Counts, Member};

pub const USAGE: &str = "loadgen faults --urls URL[,URL…] --plan FILE --rate R --seconds S \
                         [--fault-at SECS --fault 'shell command'] [--settle SECS] [--name NAME]";

/// A send is given up (and counted) after this long without an answer.
const SEND_DEADLINE: Duration = Duration::from_secs(60);
/// How long senders avoid a node that refused a connection.
const NODE_DOWN: Duration = Duration::from_secs(3);

/// What the senders and the members share.
pub struct Run {
    pub urls: Vec<String>,
    http: reqwest::Client,
    /// Marks this run's messages: `lg <tag>-<n> <due µs>`.
    tag: String,
    /// The run's start, wall clock (µs).
    pub t0_us: u64,
    pub counts: Counts,
    /// Per node, until when (µs, wall clock) senders avoid it after it
    /// refused a connection: what a load balancer's health check does.
    down_until: Vec<AtomicU64>,
}

impl Run {
    /// Calls `method` on node `url`; anything but `ok: true` is an error.
    pub async fn api(&self, url: &str, token: &str, method: &str, body: Value) -> Result<Value> {
        let r = self.http.post(format!("{url}/api/{method}")).bearer_auth(token).json(&body).send().await?;
        let status = r.status();
        let v: Value = r.json().await.with_context(|| format!("{method}: {status}"))?;
        if !status.is_success() || v["ok"] != true {
            bail!("{method}: {status} {v}");
        }
        Ok(v)
    }

    /// A node for the next send: a random one of those not marked down.
    fn pick(&self) -> usize {
        let now = now_us();
        let up: Vec<usize> =
            (0..self.urls.len()).filter(|&i| self.down_until[i].load(Relaxed) <= now).collect();
        if up.is_empty() {
            rand::random::<usize>() % self.urls.len()
        } else {
            up[rand::random::<usize>() % up.len()]
        }
    }

    /// Marks node `i` down for a while after a refused connection.
    fn mark_down(&self, i: usize, e: &anyhow::Error) {
        let refused = e.chain().any(|c| c.downcast_ref::<reqwest::Error>().is_some_and(|r| r.is_connect()));
        if refused {
            self.down_until[i].store(now_us() + NODE_DOWN.as_micros() as u64, Relaxed);
        }
    }

    /// This run's message number and due time, from a message's text.
    pub fn parse(&self, text: &str) -> Option<(u64, u64)> {
        let rest = text.strip_prefix("lg ")?.strip_prefix(self.tag.as_str())?.strip_prefix('-')?;
        let (n, due) = rest.split_once(' ')?;
        Some((n.parse().ok()?, due.parse().ok()?))
    }
}

struct Args {
    urls: Vec<String>,
    plan: String,
    rate: f64,
    seconds: f64,
    fault_at: f64,
    fault: Option<String>,
    settle: u64,
    name: String,
}

fn parse(args: Vec<String>) -> Result<Args> {
    let mut a = Args {
        urls: Vec::new(),
        plan: String::new(),
        rate: 50.0,
        seconds: 20.0,
        fault_at: 5.0,
        fault: None,
        settle: 30,
        name: "faults".into(),
    };
    let mut it = args.into_iter();
    while let Some(flag) = it.next() {
        let v = it.next().ok_or_else(|| anyhow!("{flag} needs a value\nusage: {USAGE}"))?;
        match flag.as_str() {
            "--urls" => a.urls = v.split(',').map(|u| u.trim_end_matches('/').to_string()).collect(),
            "--plan" => a.plan = v,
            "--rate" => a.rate = v.parse()?,
            "--seconds" => a.seconds = v.parse()?,
            "--fault-at" => a.fault_at = v.parse()?,
            "--fault" => a.fault = Some(v),
            "--settle" => a.settle = v.parse()?,
            "--name" => a.name = v,
            other => bail!("unknown flag {other}\nusage: {USAGE}"),
        }
    }
    if a.urls.is_empty() || a.plan.is_empty() || a.rate <= 0.0 || a.seconds <= 0.0 {
        bail!("--urls and --plan are required, --rate and --seconds positive\nusage: {USAGE}");
    }
    Ok(a)
}

/// The sending side's record.
#[derive(Default)]
struct Sent {
    /// Per message number: its channel's index and seq, once acknowledged.
    acked: Mutex<HashMap<u64, (usize, i64)>>,
    failed_attempts: AtomicU64,
    gave_up: AtomicU64,
    /// Acknowledged more than 1 s after due, and the last of them (µs since the start).
    late_acks: AtomicU64,
    last_late_ack_us: AtomicU64,
    first_error: Mutex<Option<String>>,
}

/// Posts message `n` until a node acknowledges it (same `client_msg_id`).
async fn send(run: Arc<Run>, sent: Arc<Sent>, n: u64, channel: (usize, String), token: String, due_us: u64) {
    let id = format!("{}-{n}", run.tag);
    let body = json!({"channel": channel.1, "text": format!("lg {id} {due_us}"), "client_msg_id": id});
    let give_up = Instant::now() + SEND_DEADLINE;
    for attempt in 0u32.. {
        let node = run.pick();
        match run.api(&run.urls[node], &token, "chat.postMessage", body.clone()).await {
            Ok(v) => {
                let seq = v["seq"].as_i64().unwrap_or(-1);
                sent.acked.lock().unwrap().insert(n, (channel.0, seq));
                // A retry that hid a dead node is no disruption; an
                // acknowledgment later than a person would wait for is.
                let now = now_us();
                if now.saturating_sub(due_us) > 1_000_000 {
                    sent.late_acks.fetch_add(1, Relaxed);
                    sent.last_late_ack_us.fetch_max(now.saturating_sub(run.t0_us), Relaxed);
                }
                return;
            }
            Err(e) => {
                sent.failed_attempts.fetch_add(1, Relaxed);
                sent.first_error.lock().unwrap().get_or_insert_with(|| format!("{e:#}"));
                if Instant::now() > give_up {
                    sent.gave_up.fetch_add(1, Relaxed);
                    return;
                }
                run.mark_down(node, &e);
                tokio::time::sleep(Duration::from_millis((100u64 << attempt.min(4)).min(2000))).await;
            }
        }
    }
}

/// Every message of this run stored in `channel`: number → copies.
async fn stored(run: &Run, token: &str, channel: &str) -> Result<HashMap<u64, u32>> {
    let mut out = HashMap::new();
    let mut before: Option<i64> = None;
    loop {
        let mut body = json!({"channel": channel, "limit": 200});
        if let Some(b) = before {
            body["before"] = json!(b);
        }
        let page = run.api(&run.urls[0], token, "conversations.history", body).await?;
        let msgs = page["messages"].as_array().context("history without messages")?;
        for m in msgs {
            if let Some((n, _)) = m["text"].as_str().and_then(|t| run.parse(t)) {
                *out.entry(n).or_insert(0) += 1;
            }
        }
        before = msgs.iter().filter_map(|m| m["seq"].as_i64()).min();
        if page["has_more"] != true || before.is_none() {
            return Ok(out);
        }
    }
}

pub async fn main(args: Vec<String>) -> Result<()> {
    let a = parse(args)?;
    let text = std::fs::read_to_string(&a.plan).with_context(|| format!("reading {}", a.plan))?;
    let plan: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| l.trim().split_once(' ').map(|(t, c)| (t.to_string(), c.trim().to_string())))
        .collect();
    let mut channels: Vec<String> = plan.iter().map(|(_, c)| c.clone()).collect();
    channels.sort();
    channels.dedup();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); channels.len()];
    for (i, (_, c)) in plan.iter().enumerate() {
        members[channels.binary_search(c).expect("listed")].push(i);
    }
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
    let tag = format!("{:08x}", rand::random::<u32>());
    let down_until = a.urls.iter().map(|_| AtomicU64::new(0)).collect();
    let counts = Counts::default();
    *counts.latency_us.lock().unwrap() = Some(hdrhistogram::Histogram::new_with_bounds(1, 3_600_000_000, 3)?);
    let run = Arc::new(Run { urls: a.urls.clone(), http, tag, t0_us: now_us(), counts, down_until });

    // Every member online before the traffic starts.
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut online = Vec::new();
    for (c, list) in members.iter().enumerate() {
        let head = run
            .api(
                &run.urls[0],
                &plan[list[0]].0,
                "conversations.history",
                json!({"channel": channels[c], "limit": 1}),
            )
            .await?;
        let start_seq = head["messages"][0]["seq"].as_i64().unwrap_or(0);
        for &i in list {
            let m = Member {
                token: plan[i].0.clone(),
                channel: channels[c].clone(),
                home: i % run.urls.len(),
                start_seq,
            };
            online.push((c, tokio::spawn(client::run(run.clone(), m, stop_rx.clone()))));
        }
    }
    let ready_by = Instant::now() + Duration::from_secs(60);
    while run.counts.ready.load(Relaxed) < plan.len() as u64 {
        if Instant::now() > ready_by {
            bail!("only {} of {} members came online", run.counts.ready.load(Relaxed), plan.len());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Traffic on a fixed schedule, and the fault at its time.
    let sent = Arc::new(Sent::default());
    let total = (a.rate * a.seconds).round() as u64;
    let start = Instant::now() + Duration::from_millis(100);
    let start_us = now_us() + 100_000;
    let fault = a.fault.clone().map(|cmd| {
        let at = start + Duration::from_secs_f64(a.fault_at);
        let t0_us = run.t0_us;
        tokio::spawn(async move {
            tokio::time::sleep_until(at.into()).await;
            let began = now_us().saturating_sub(t0_us);
            let out = tokio::task::spawn_blocking(move || {
                std::process::Command::new("sh").arg("-c").arg(cmd).status()
            })
            .await;
            let ok = matches!(out, Ok(Ok(s)) if s.success());
            (began, now_us().saturating_sub(t0_us), ok)
        })
    });
    let mut sends = Vec::with_capacity(total as usize);
    for n in 0..total {
        let offset = Duration::from_secs_f64(n as f64 / a.rate);
        tokio::time::sleep_until((start + offset).into()).await;
        let c = n as usize % channels.len();
        let sender = members[c][rand::random::<usize>() % members[c].len()];
        let due = start_us + offset.as_micros() as u64;
        sends.push(tokio::spawn(send(
            run.clone(),
            sent.clone(),
            n,
            (c, channels[c].clone()),
            plan[sender].0.clone(),
            due,
        )));
    }
    for s in sends {
        s.await?;
    }
    let (fault_began, fault_ended, fault_ok) = match fault {
        Some(f) => f.await?,
        None => (0, 0, true),
    };
    let acked = sent.acked.lock().unwrap().clone();
    let expected: u64 = acked.values().map(|(c, _)| members[*c].len() as u64).sum();
    let settle_by = Instant::now() + Duration::from_secs(a.settle);
    while run.counts.shown() < expected && Instant::now() < settle_by {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop_tx.send(true);
    // Lost: an acknowledged message a member of its channel never showed.
    let mut lost = 0u64;
    for (c, o) in online {
        let shown = o.await?;
        lost += acked.iter().filter(|(n, (ch, _))| *ch == c && !shown.contains(*n)).count() as u64;
    }

    // What Postgres holds.
    let mut copies: HashMap<u64, u32> = HashMap::new();
    for (c, list) in members.iter().enumerate() {
        copies.extend(stored(&run, &plan[list[0]].0, &channels[c]).await?);
    }
    let acked_not_stored = acked.keys().filter(|n| !copies.contains_key(n)).count();
    let stored_twice: u32 = copies.values().map(|k| k - 1).sum();
    let k = &run.counts;
    let shown = k.shown();
    let (dup, gave_up) = (k.duplicated.load(Relaxed), sent.gave_up.load(Relaxed));
    let after_fault =
        |us: u64| if a.fault.is_some() && us > fault_began { (us - fault_began) as f64 / 1e6 } else { 0.0 };
    let (sends_back, deliveries_back) =
        (after_fault(sent.last_late_ack_us.load(Relaxed)), after_fault(k.last_late_us.load(Relaxed)));
    let recovery = sends_back.max(deliveries_back);
    println!(
        "faults {} nodes={} members={} channels={} rate={}/s seconds={} fault_at={}s fault_secs={:.1} fault_ok={fault_ok}",
        a.name,
        run.urls.len(),
        plan.len(),
        channels.len(),
        a.rate,
        a.seconds,
        a.fault_at,
        (fault_ended.saturating_sub(fault_began)) as f64 / 1e6
    );
    println!(
        "sends scheduled={total} acknowledged={} late(>1s)={} gave_up={gave_up} failed_attempts={} stored={} acked_not_stored={acked_not_stored} stored_twice={stored_twice}",
        acked.len(),
        sent.late_acks.load(Relaxed),
        sent.failed_attempts.load(Relaxed),
        copies.len()
    );
    println!(
        "deliveries expected={expected} shown={shown} (live={} replayed={} fetched={}) lost={lost} duplicated={dup} repeat_frames={} reconnects={} resyncs={} recovery={recovery:.1}s",
        k.live.load(Relaxed),
        k.replayed.load(Relaxed),
        k.fetched.load(Relaxed),
        k.repeat_frames.load(Relaxed),
        k.reconnects.load(Relaxed),
        k.resyncs.load(Relaxed)
    );
    if let Some(h) = k.latency_us.lock().unwrap().as_ref() {
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        println!(
            "latency p50={:.1}ms p99={:.1}ms p99.9={:.1}ms max={:.1}ms late(>1s)={} recovery: sends {sends_back:.1}s, deliveries {deliveries_back:.1}s",
            ms(0.5),
            ms(0.99),
            ms(0.999),
            h.max() as f64 / 1000.0,
            k.late.load(Relaxed)
        );
    }
    let first = |m: &Mutex<Option<String>>| m.lock().unwrap().clone().unwrap_or_else(|| "none".into());
    println!(
        "first send error: {}; first socket trouble: {}",
        first(&sent.first_error),
        first(&k.first_trouble)
    );
    if acked_not_stored > 0 || stored_twice > 0 || lost > 0 || dup > 0 || gave_up > 0 || !fault_ok {
        bail!(
            "{}: {acked_not_stored} acknowledged but not stored, {stored_twice} stored twice, {lost} deliveries lost, \
             {dup} shown twice, {gave_up} sends given up, fault command ok: {fault_ok}",
            a.name
        );
    }
    Ok(())
}
