//! The online members of `loadgen faults`: one socket each, kept open the
//! way the browser keeps it (docs/realtime.md). On any end of the socket it
//! reconnects with the documented backoff, to its home node first and then
//! the others, and sends `resume` with the seq it holds, so the replay
//! brings what it missed. A `message_created` above the next expected seq
//! reveals a gap, which it fills from `conversations.history`, as the
//! browser does. Everything it shows is counted by message: shown once
//! (live, replayed or fetched), shown twice (the same message under two
//! seqs, a duplicate a person would see), or a repeated frame of a seq it
//! already had (dropped, as the protocol says to).

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use super::{now_us, Run};

/// Deliveries later than this after their scheduled send count as a
/// disruption (for the recovery time).
const LATE_US: u64 = 1_000_000;

/// What every client adds to.
#[derive(Default)]
pub struct Counts {
    pub live: AtomicU64,
    pub replayed: AtomicU64,
    pub fetched: AtomicU64,
    /// The same message shown under a second seq.
    pub duplicated: AtomicU64,
    /// A seq announced again (dropped by the client).
    pub repeat_frames: AtomicU64,
    pub reconnects: AtomicU64,
    /// Members whose first `resume` was answered.
    pub ready: AtomicU64,
    pub resyncs: AtomicU64,
    /// Microseconds since the run's start of the last late delivery.
    pub last_late_us: AtomicU64,
    pub late: AtomicU64,
    /// Delivery latency from the scheduled send (µs), every message shown.
    pub latency_us: Mutex<Option<hdrhistogram::Histogram<u64>>>,
    pub first_trouble: Mutex<Option<String>>,
}

impl Counts {
    pub fn shown(&self) -> u64 {
        self.live.load(Relaxed) + self.replayed.load(Relaxed) + self.fetched.load(Relaxed)
    }

    fn trouble(&self, why: String) {
        self.first_trouble.lock().unwrap().get_or_insert(why);
    }
}

#[derive(Clone, Copy)]
enum Via {
    Live,
    Replay,
    Fetch,
}

/// One member's view of its channel.
struct View {
    /// Seqs held; `last` is the highest with no gap below it.
    seqs: BTreeSet<i64>,
    last: i64,
    /// This run's message numbers shown.
    shown: HashSet<u64>,
    ready: bool,
}

pub struct Member {
    pub token: String,
    pub channel: String,
    pub home: usize,
    /// The channel's newest seq before the run: older messages are not this
    /// run's business.
    pub start_seq: i64,
}

/// Keeps `m` online until `stop` turns true; returns the message numbers
/// it showed.
pub async fn run(run: Arc<Run>, m: Member, mut stop: watch::Receiver<bool>) -> HashSet<u64> {
    let mut view = View { seqs: BTreeSet::new(), last: m.start_seq, shown: HashSet::new(), ready: false };
    let mut attempt = 0u32;
    let mut node = m.home;
    while !*stop.borrow() {
        match connect(&run, &run.urls[node], &m, view.last).await {
            Ok(ws) => {
                attempt = 0;
                if let Err(e) = read(&run, &m, node, ws, &mut view, &mut stop).await {
                    run.counts.trouble(format!("socket on node {}: {e:#}", node + 1));
                }
                if *stop.borrow() {
                    return view.shown;
                }
                run.counts.reconnects.fetch_add(1, Relaxed);
            }
            Err(e) => {
                run.counts.trouble(format!("connecting to node {}: {e:#}", node + 1));
                node = (node + 1) % run.urls.len();
            }
        }
        // 0.5–1.5 × min(30 s, 0.5 s × 2ⁿ⁻¹), as the browser waits.
        let base = 0.5 * 2f64.powi(attempt.min(6) as i32);
        let wait = base.min(30.0) * (0.5 + rand::random::<f64>());
        attempt += 1;
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs_f64(wait)) => {}
            _ = stop.changed() => {}
        }
    }
    view.shown
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Ticket from `url`, upgrade on the same node, `hello`, then `resume`.
async fn connect(run: &Run, url: &str, m: &Member, last: i64) -> Result<Ws> {
    let reply: serde_json::Value =
        run.api(url, &m.token, "rtm.connect", serde_json::json!({})).await.context("rtm.connect")?;
    let ticket_url = reply["url"].as_str().with_context(|| format!("rtm.connect: {reply}"))?;
    // The ticket's path and query, on the node that issued it.
    let path = ticket_url.splitn(4, '/').nth(3).context("socket URL without a path")?;
    let ws_url = format!("{}/{path}", url.replacen("http", "ws", 1));
    let (mut ws, _) =
        tokio::time::timeout(Duration::from_secs(10), tokio_tungstenite::connect_async(ws_url)).await??;
    let hello = next_text(&mut ws).await?;
    if !hello.contains(r#""hello""#) {
        bail!("expected hello, got {hello}");
    }
    let resume = serde_json::json!({"type": "resume", "channels": {m.channel.clone(): last}});
    ws.send(Message::text(resume.to_string())).await?;
    Ok(ws)
}

async fn next_text(ws: &mut Ws) -> Result<String> {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await?.context("closed")?? {
            Message::Text(t) => return Ok(t.to_string()),
            Message::Close(c) => bail!("closed: {c:?}"),
            _ => {}
        }
    }
}

/// Reads until the socket ends (an error says why) or `stop`.
async fn read(
    run: &Run,
    m: &Member,
    node: usize,
    mut ws: Ws,
    view: &mut View,
    stop: &mut watch::Receiver<bool>,
) -> Result<()> {
    let mut replaying = true;
    let mut gap = false;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        let frame = tokio::select! {
            f = ws.next() => f,
            _ = stop.changed() => return Ok(()),
            _ = tick.tick() => {
                if gap {
                    gap = fill(run, &run.urls[node], m, view).await;
                }
                continue;
            }
        };
        let text = match frame {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(c))) => bail!("closed: {c:?}"),
            Some(Ok(_)) => continue,
            Some(Err(e)) => bail!("{e}"),
            None => bail!("connection ended"),
        };
        let v: serde_json::Value = serde_json::from_str(&text)?;
        match v["type"].as_str() {
            Some("resumed") => {
                replaying = false;
                if !std::mem::replace(&mut view.ready, true) {
                    run.counts.ready.fetch_add(1, Relaxed);
                }
            }
            Some("resync_required") => {
                run.counts.resyncs.fetch_add(1, Relaxed);
                bail!("resync_required: {text}");
            }
            Some("message_created") if v["message"]["channel"] == m.channel.as_str() => {
                let via = if replaying { Via::Replay } else { Via::Live };
                show(run, view, &v["message"], via);
                if view.seqs.last().is_some_and(|&top| top > view.last) {
                    gap = fill(run, &run.urls[node], m, view).await;
                }
            }
            _ => {}
        }
    }
}

/// Records one message; returns nothing (the counts say it all).
fn show(run: &Run, view: &mut View, msg: &serde_json::Value, via: Via) {
    let Some(seq) = msg["seq"].as_i64() else { return };
    if !view.seqs.insert(seq) {
        // A fetched page repeats what the client already had; only a pushed
        // frame can be a repeat.
        if !matches!(via, Via::Fetch) {
            run.counts.repeat_frames.fetch_add(1, Relaxed);
        }
        return;
    }
    while view.seqs.contains(&(view.last + 1)) {
        view.last += 1;
    }
    let Some((n, due_us)) = msg["text"].as_str().and_then(|t| run.parse(t)) else { return };
    if !view.shown.insert(n) {
        run.counts.duplicated.fetch_add(1, Relaxed);
        run.counts.trouble(format!("message {n} shown twice (seq {seq})"));
        return;
    }
    let c = &run.counts;
    match via {
        Via::Live => c.live.fetch_add(1, Relaxed),
        Via::Replay => c.replayed.fetch_add(1, Relaxed),
        Via::Fetch => c.fetched.fetch_add(1, Relaxed),
    };
    let now = now_us();
    let took = now.saturating_sub(due_us);
    if let Some(h) = c.latency_us.lock().unwrap().as_mut() {
        h.saturating_record(took.max(1));
    }
    if took > LATE_US {
        c.late.fetch_add(1, Relaxed);
        c.last_late_us.fetch_max(now.saturating_sub(run.t0_us), Relaxed);
    }
}

/// Fetches what lies between the contiguous seq and the newest one held.
/// Returns whether a gap is still open (the fetch failed).
async fn fill(run: &Run, url: &str, m: &Member, view: &mut View) -> bool {
    while view.seqs.last().is_some_and(|&top| top > view.last) {
        let body = serde_json::json!({"channel": m.channel, "after": view.last, "limit": 200});
        let Ok(page) = run.api(url, &m.token, "conversations.history", body).await else { return true };
        let Some(msgs) = page["messages"].as_array() else { return true };
        let before = view.last;
        for msg in msgs.iter().rev() {
            show(run, view, msg, Via::Fetch);
        }
        if view.last == before {
            return true;
        }
    }
    false
}
