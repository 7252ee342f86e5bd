//! The sockets of `loadgen scale`: each keeps its conversations' last seqs
//! and, when told to drop (a reconnect storm), closes abruptly, waits its
//! share of the spread, reconnects and resumes from those seqs, so the
//! server replays what it missed. Deliveries of this run's messages are
//! counted once per socket; their latency goes to `live`, split into the
//! socket's own node and the others (`local` / `remote`), or to `replayed`
//! when they came back through a resume.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use tokio::sync::{watch, Semaphore};
use tokio_tungstenite::tungstenite::Message;

use crate::now_us;
use crate::ws::conn::{next_json, upgrade, Ws};

/// Sockets in the connecting phase at once, per process.
const CONNECTING: usize = 64;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds")
}

/// A fan-out run's marks: messages are `lg <run>-<n> <scheduled µs> <node>`.
pub struct Run {
    pub tag: String,
    /// Which run this is (a socket forgets the numbers of earlier runs).
    pub no: u64,
}

#[derive(Default)]
pub struct Counters {
    pub unique: AtomicU64,
    pub duplicated: AtomicU64,
    pub replayed: AtomicU64,
    pub resync: AtomicU64,
    pub ended: AtomicU64,
    pub reconnects: AtomicU64,
    pub reconnect_failures: AtomicU64,
}

pub struct Latency {
    pub local: Histogram<u64>,
    pub remote: Histogram<u64>,
    pub replayed: Histogram<u64>,
    /// Drop to resumed, per socket, in µs (reconnect storms).
    pub back: Histogram<u64>,
}

/// What every socket task shares.
pub struct Net {
    pub http: reqwest::Client,
    pub urls: Vec<String>,
    pub sources: u8,
    connecting: Semaphore,
    pub run: Mutex<Option<Run>>,
    pub counters: Counters,
    pub latency: Mutex<Latency>,
    pub first_trouble: Mutex<Option<String>>,
    /// Bumped to make every socket drop and come back within `spread`.
    pub storm: watch::Sender<(u64, Duration)>,
}

impl Net {
    pub fn new(http: reqwest::Client, urls: Vec<String>, sources: u8) -> Arc<Net> {
        let blank =
            Latency { local: histogram(), remote: histogram(), replayed: histogram(), back: histogram() };
        Arc::new(Net {
            http,
            urls,
            sources,
            connecting: Semaphore::new(CONNECTING),
            run: Mutex::new(None),
            counters: Counters::default(),
            latency: Mutex::new(blank),
            first_trouble: Mutex::new(None),
            storm: watch::channel((0, Duration::ZERO)).0,
        })
    }

    pub fn node_of(&self, global: usize) -> usize {
        global % self.urls.len()
    }

    fn trouble(&self, why: String) {
        self.first_trouble.lock().unwrap().get_or_insert(why);
    }

    /// A new run: counters and histograms start from zero.
    pub fn start_run(&self, tag: String, no: u64) {
        let c = &self.counters;
        for a in [&c.unique, &c.duplicated, &c.replayed, &c.resync, &c.reconnects, &c.reconnect_failures] {
            a.store(0, Relaxed);
        }
        *self.latency.lock().unwrap() =
            Latency { local: histogram(), remote: histogram(), replayed: histogram(), back: histogram() };
        *self.run.lock().unwrap() = Some(Run { tag, no });
    }
}

/// One socket's lasting state.
pub struct Sock {
    pub token: String,
    pub node: usize,
    pub src: IpAddr,
    /// channel id → last seq this socket has.
    pub seqs: HashMap<String, i64>,
    /// The run's message numbers this socket got, and which run that is.
    seen: HashSet<u64>,
    seen_run: u64,
}

impl Sock {
    pub fn new(token: String, node: usize, n: usize, sources: u8, seqs: HashMap<String, i64>) -> Sock {
        let src = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + (n % sources as usize) as u8));
        Sock { token, node, src, seqs, seen: HashSet::new(), seen_run: 0 }
    }
}

/// One connection attempt: waits its turn (at most [`CONNECTING`] at once),
/// then gives the attempt itself [`CONNECT_TIMEOUT`].
async fn connect_once(net: &Net, s: &mut Sock) -> Result<Ws, String> {
    let _permit = net.connecting.acquire().await.map_err(|e| e.to_string())?;
    match tokio::time::timeout(CONNECT_TIMEOUT, connect(net, s)).await {
        Ok(Ok(ws)) => Ok(ws),
        Ok(Err(e)) => Err(format!("{e:#}")),
        Err(_) => Err("timed out connecting".into()),
    }
}

/// Connects (ticket, upgrade, resume from `seqs`), handling the frames the
/// resume replays. Returns the socket once `resumed` came.
async fn connect(net: &Net, s: &mut Sock) -> anyhow::Result<Ws> {
    let mut ws = upgrade(&net.http, &net.urls[s.node], &s.token, s.src).await?;
    let resume = serde_json::json!({"type": "resume", "channels": s.seqs});
    ws.send(Message::text(resume.to_string())).await?;
    loop {
        let f = next_json(&mut ws).await?;
        match f["type"].as_str() {
            Some("resumed") => return Ok(ws),
            Some("error" | "resync_required") => anyhow::bail!("{f}"),
            Some("message_created") => frame(net, s, &f, true),
            _ => {}
        }
    }
}

/// Records one `message_created` frame.
fn frame(net: &Net, s: &mut Sock, f: &serde_json::Value, replayed: bool) {
    let m = &f["message"];
    if let (Some(ch), Some(seq)) = (m["channel"].as_str(), m["seq"].as_i64()) {
        if let Some(known) = s.seqs.get_mut(ch) {
            *known = (*known).max(seq);
        }
    }
    let Some(text) = m["text"].as_str().and_then(|t| t.strip_prefix("lg ")) else { return };
    let run = net.run.lock().unwrap();
    let Some(run) = run.as_ref() else { return };
    let mut parts = text.split(' ');
    let n =
        parts.next().and_then(|id| id.strip_prefix(run.tag.as_str())?.strip_prefix('-')?.parse::<u64>().ok());
    let sched = parts.next().and_then(|us| us.parse::<u64>().ok());
    let node = parts.next().and_then(|n| n.parse::<usize>().ok());
    let (Some(n), Some(sched)) = (n, sched) else { return };
    if s.seen_run != run.no {
        s.seen.clear();
        s.seen_run = run.no;
    }
    let c = &net.counters;
    if !s.seen.insert(n) {
        c.duplicated.fetch_add(1, Relaxed);
        return;
    }
    c.unique.fetch_add(1, Relaxed);
    let us = now_us().saturating_sub(sched);
    let mut l = net.latency.lock().unwrap();
    if replayed {
        c.replayed.fetch_add(1, Relaxed);
        l.replayed.saturating_record(us);
    } else if node == Some(s.node) {
        l.local.saturating_record(us);
    } else {
        l.remote.saturating_record(us);
    }
}

/// Opens the socket, then reads until the process ends; drops and resumes
/// on every storm, and sends the frames `out` brings (typing). Reports once,
/// through `up`, whether the first connect worked.
pub async fn run(
    net: Arc<Net>,
    mut s: Sock,
    up: tokio::sync::mpsc::UnboundedSender<Result<(), String>>,
    mut out: tokio::sync::mpsc::UnboundedReceiver<String>,
) {
    let mut storms = net.storm.subscribe();
    let mut ws = match connect_once(&net, &mut s).await {
        Ok(ws) => {
            let _ = up.send(Ok(()));
            ws
        }
        Err(e) => return drop(up.send(Err(e))),
    };
    drop(up);
    loop {
        tokio::select! {
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(t))) => on_text(&net, &mut s, &t),
                Some(Ok(_)) => {}
                other => {
                    net.counters.ended.fetch_add(1, Relaxed);
                    net.trouble(format!("socket ended: {other:?}"));
                    return;
                }
            },
            Some(frame) = out.recv() => {
                if let Err(e) = ws.send(Message::text(frame)).await {
                    net.trouble(format!("sending a frame: {e}"));
                }
            }
            changed = storms.changed() => {
                if changed.is_err() { return; }
                let spread = storms.borrow_and_update().1;
                drop(ws); // abrupt: no close frame, as when a network drops
                let dropped = Instant::now();
                let wait = spread.mul_f64(rand::random::<f64>());
                tokio::time::sleep(wait).await;
                ws = loop {
                    match connect_once(&net, &mut s).await {
                        Ok(ws) => break ws,
                        Err(e) => net.trouble(format!("reconnect: {e}")),
                    }
                    net.counters.reconnect_failures.fetch_add(1, Relaxed);
                    tokio::time::sleep(Duration::from_millis(200 + rand::random::<u64>() % 800)).await;
                };
                net.counters.reconnects.fetch_add(1, Relaxed);
                let back = dropped.elapsed().saturating_sub(wait).as_micros() as u64;
                net.latency.lock().unwrap().back.saturating_record(back.max(1));
            }
        }
    }
}

fn on_text(net: &Net, s: &mut Sock, t: &str) {
    // Most frames (presence, typing) are of no interest: read the tag first.
    let kind = t.strip_prefix(r#"{"type":""#).and_then(|r| r.split('"').next()).unwrap_or("");
    match kind {
        "message_created" => {
            if let Ok(f) = serde_json::from_str::<serde_json::Value>(t) {
                frame(net, s, &f, false);
            }
        }
        "resync_required" => {
            net.counters.resync.fetch_add(1, Relaxed);
            net.trouble(t.chars().take(200).collect());
        }
        _ => {}
    }
}
