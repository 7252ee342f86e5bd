//! The sockets of `loadgen ws`: connecting the way a bot does (`rtm.connect`
//! ticket, upgrade from a chosen source address, `hello`, `resume`), then one
//! task per socket that keeps reading and, in fan-out runs, records each
//! test message's latency and duplicates.
//!
//! Why one task per socket that only reads: that is what a real idle client
//! costs the server (tungstenite answers its pings while we read), and a
//! socket that stops reading would be cut off as a slow consumer
//! (`resync_required`), which would measure the client instead.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::now_us;

use anyhow::{bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Sockets in the connecting phase at once (ticket, TCP, upgrade, resume).
const CONNECTING: usize = 64;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// A small read buffer: thousands of sockets must not cost 128 KiB each here.
const READ_BUFFER: usize = 4 * 1024;

pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What the socket tasks share: how to connect, and what they saw.
pub(super) struct Shared {
    pub http: reqwest::Client,
    url: String,
    connecting: Semaphore,
    /// Established sockets that ended before the report (close or error).
    ended: AtomicU64,
    resync: AtomicU64,
    error_frames: AtomicU64,
    first_end: Mutex<Option<String>>,
    pub fanout: Option<Deliveries>,
    /// Emulate the browser before the sidebar was kept from events: after
    /// each new message, reload `users.conversations` (at most every 1.5 s).
    pub sidebar_reload: bool,
    pub sidebar_loads: AtomicU64,
}

/// The old browser's debounce of sidebar reloads.
const SIDEBAR_DEBOUNCE: Duration = Duration::from_millis(1500);

/// `ws fanout`'s receiving side.
pub(super) struct Deliveries {
    /// Marks this run's messages (`lg <run>-<n> <scheduled µs>`).
    pub run: String,
    pub unique: AtomicU64,
    pub duplicated: AtomicU64,
    pub latency_us: Mutex<Histogram<u64>>,
}

impl Shared {
    /// `http` also posts in fan-out runs; `fanout` turns on latency records.
    pub fn new(http: reqwest::Client, url: &str, fanout: bool) -> Shared {
        Shared {
            http,
            url: url.to_string(),
            connecting: Semaphore::new(CONNECTING),
            ended: AtomicU64::new(0),
            resync: AtomicU64::new(0),
            error_frames: AtomicU64::new(0),
            first_end: Mutex::new(None),
            fanout: fanout.then(|| Deliveries {
                run: format!("{:08x}", rand::random::<u32>()),
                unique: AtomicU64::new(0),
                duplicated: AtomicU64::new(0),
                // 1 µs to an hour; anything beyond is recorded as an hour.
                latency_us: Mutex::new(
                    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds"),
                ),
            }),
            sidebar_reload: false,
            sidebar_loads: AtomicU64::new(0),
        }
    }

    fn note_end(&self, why: String) {
        self.ended.fetch_add(1, Relaxed);
        self.first_end.lock().unwrap().get_or_insert(why);
    }

    /// Handles one text frame that arrived at `at_us`; `seen` holds the
    /// message numbers this socket already got.
    /// Returns whether it was a new message (for the sidebar emulation).
    fn frame(&self, text: &str, at_us: u64, seen: &mut HashSet<u64>) -> bool {
        // The server writes the tag first (`{"type":"…",…}`): read it before
        // parsing, since most frames (presence, typing) are of no interest.
        // Any other layout is parsed in full.
        let mut parsed = None;
        let kind = match text.strip_prefix(r#"{"type":""#).and_then(|r| r.split('"').next()) {
            Some(kind) => kind,
            None => {
                parsed = serde_json::from_str::<serde_json::Value>(text).ok();
                parsed.as_ref().and_then(|v| v["type"].as_str()).unwrap_or("")
            }
        };
        match kind {
            "message_created" => {}
            "resync_required" => {
                self.resync.fetch_add(1, Relaxed);
                return false;
            }
            "error" => {
                self.error_frames.fetch_add(1, Relaxed);
                self.first_end.lock().unwrap().get_or_insert_with(|| text.chars().take(300).collect());
                return false;
            }
            _ => return false,
        }
        let Some(d) = &self.fanout else { return true };
        let Some(v) = parsed.or_else(|| serde_json::from_str(text).ok()) else { return true };
        let Some(body) = v["message"]["text"].as_str().and_then(|t| t.strip_prefix("lg ")) else {
            return true;
        };
        let mut parts = body.split(' ');
        let n = parts.next().and_then(|id| id.strip_prefix(d.run.as_str())?.strip_prefix('-')?.parse().ok());
        let sched = parts.next().and_then(|us| us.parse::<u64>().ok());
        let (Some(n), Some(sched)) = (n, sched) else { return true };
        if seen.insert(n) {
            d.unique.fetch_add(1, Relaxed);
            d.latency_us.lock().unwrap().saturating_record(at_us.saturating_sub(sched));
        } else {
            d.duplicated.fetch_add(1, Relaxed);
        }
        true
    }

    /// The old browser: one `users.conversations` per new message, debounced.
    fn reload_sidebar_soon(self: &Arc<Self>, token: &Arc<str>, pending: &Arc<std::sync::atomic::AtomicBool>) {
        if pending.swap(true, Relaxed) {
            return;
        }
        let (sh, token, pending) = (self.clone(), token.clone(), pending.clone());
        tokio::spawn(async move {
            tokio::time::sleep(SIDEBAR_DEBOUNCE).await;
            pending.store(false, Relaxed);
            let url = format!("{}/api/users.conversations", sh.url);
            let r =
                sh.http.post(url).bearer_auth(&*token).header("content-type", "application/json").body("{}");
            if r.send().await.is_ok_and(|r| r.status().is_success()) {
                sh.sidebar_loads.fetch_add(1, Relaxed);
            }
        });
    }
}

pub(crate) async fn next_json(ws: &mut Ws) -> Result<serde_json::Value> {
    loop {
        match ws.next().await.context("closed before resumed")?? {
            Message::Text(t) => return Ok(serde_json::from_str(&t)?),
            Message::Close(c) => bail!("closed before resumed: {c:?}"),
            _ => {}
        }
    }
}

/// Gets a ticket, connects from `src`, and resumes with nothing held (live
/// events only).
async fn open(sh: &Shared, token: &str, src: IpAddr) -> Result<Ws> {
    let mut ws = upgrade(&sh.http, &sh.url, token, src).await?;
    ws.send(Message::text(r#"{"type":"resume","channels":{}}"#)).await?;
    loop {
        let f = next_json(&mut ws).await?;
        match f["type"].as_str() {
            Some("resumed") => return Ok(ws),
            Some("error" | "resync_required") => bail!("{f}"),
            _ => {}
        }
    }
}

/// What every client does first: an `rtm.connect` ticket, a TCP connection
/// from `src`, the upgrade, and the server's `hello`. The caller resumes.
pub(crate) async fn upgrade(http: &reqwest::Client, base: &str, token: &str, src: IpAddr) -> Result<Ws> {
    let reply: serde_json::Value = http
        .post(format!("{base}/api/rtm.connect"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await?
        .json()
        .await?;
    let Some(url) = reply["url"].as_str() else { bail!("rtm.connect: {reply}") };
    let req = url.into_client_request()?;
    if req.uri().scheme_str() != Some("ws") {
        bail!("only ws:// URLs are supported, got {url}");
    }
    let host = req.uri().host().context("no host in the socket URL")?.trim_matches(['[', ']']).to_string();
    let port = req.uri().port_u16().unwrap_or(80);
    let addr = tokio::net::lookup_host((host.as_str(), port))
        .await?
        .find(|a| a.is_ipv4() == src.is_ipv4())
        .with_context(|| format!("{host} has no address of the same family as {src}"))?;
    let sock = if src.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    sock.bind(SocketAddr::new(src, 0)).with_context(|| format!("binding {src}"))?;
    let tcp = sock.connect(addr).await?;
    tcp.set_nodelay(true)?;
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER).write_buffer_size(0);
    let (mut ws, _) =
        tokio_tungstenite::client_async_with_config(req, MaybeTlsStream::Plain(tcp), Some(config)).await?;
    let hello = next_json(&mut ws).await?;
    if hello["type"] != "hello" {
        bail!("expected hello, got {hello}");
    }
    Ok(ws)
}

/// Reads until the socket ends; tungstenite answers the server's pings as
/// long as this keeps reading.
async fn read_loop(sh: Arc<Shared>, mut ws: Ws, token: Arc<str>) {
    let mut seen = HashSet::new();
    let pending = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let why = loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                if sh.frame(&t, now_us(), &mut seen) && sh.sidebar_reload {
                    sh.reload_sidebar_soon(&token, &pending);
                }
            }
            Some(Ok(Message::Close(c))) => {
                break c.map_or("close without code".into(), |c| {
                    format!("close {} {}", u16::from(c.code), c.reason)
                })
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => break format!("socket error: {e}"),
            None => break "connection ended".into(),
        }
    };
    sh.note_end(why);
}

/// Opens one socket per token (source addresses round-robin), each in its
/// own task that keeps reading; returns, per token, whether it is up.
pub(super) async fn open_all(sh: &Arc<Shared>, tokens: Vec<String>, sources: u8) -> Vec<Result<(), String>> {
    let n = tokens.len();
    let (tx, mut rx) = mpsc::unbounded_channel();
    for (i, token) in tokens.into_iter().enumerate() {
        let src = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + (i % sources as usize) as u8));
        let (sh, tx) = (sh.clone(), tx.clone());
        tokio::spawn(async move {
            let permit = sh.connecting.acquire().await.expect("never closed");
            let res = tokio::time::timeout(CONNECT_TIMEOUT, open(&sh, &token, src)).await;
            drop(permit);
            match res {
                Ok(Ok(ws)) => {
                    let _ = tx.send((i, Ok(())));
                    drop(tx);
                    read_loop(sh, ws, token.into()).await;
                }
                Ok(Err(e)) => drop(tx.send((i, Err(format!("{e:#}"))))),
                Err(_) => drop(tx.send((i, Err("timed out connecting".to_string())))),
            }
        });
    }
    let mut out = vec![Err(String::new()); n];
    for _ in 0..n {
        let (i, r) = rx.recv().await.expect("every task reports");
        out[i] = r;
    }
    let failed: Vec<&String> = out.iter().filter_map(|r| r.as_ref().err()).collect();
    if let Some(e) = failed.first() {
        eprintln!("{} connections failed; first error: {e}", failed.len());
    }
    out
}

/// The sockets' troubles, in one line.
pub(super) fn trouble_line(sh: &Shared) -> String {
    let first = sh.first_end.lock().unwrap().clone().map(|w| format!(" first: {w}")).unwrap_or_default();
    format!(
        "sockets ended={} resync_required={} error_frames={}{first}",
        sh.ended.load(Relaxed),
        sh.resync.load(Relaxed),
        sh.error_frames.load(Relaxed)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn created(text: &str) -> String {
        serde_json::json!({"type": "message_created", "message": {"seq": 1, "text": text}}).to_string()
    }

    #[test]
    fn counts_this_runs_messages_once_per_socket() {
        let sh = Shared::new(reqwest::Client::new(), "http://x", true);
        let d = sh.fanout.as_ref().unwrap();
        let run = d.run.clone();
        let (mut a, mut b) = (HashSet::new(), HashSet::new());
        let tag_first = format!(r#"{{"type":"message_created","message":{{"text":"lg {run}-7 1000"}}}}"#);
        sh.frame(&tag_first, 1500, &mut a);
        sh.frame(&created(&format!("lg {run}-7 1000")), 1600, &mut b);
        sh.frame(&created(&format!("lg {run}-7 1000")), 1700, &mut a);
        sh.frame(&created("lg 00000000x-8 1000"), 1700, &mut a);
        sh.frame(&created("hello there"), 1700, &mut a);
        sh.frame(r#"{"type":"presence","user":"u","presence":"online","manual_away":false}"#, 1, &mut a);
        sh.frame(r#"{"type":"resync_required","reason":"slow"}"#, 1, &mut a);
        assert_eq!((d.unique.load(Relaxed), d.duplicated.load(Relaxed)), (2, 1));
        let h = d.latency_us.lock().unwrap();
        assert_eq!((h.len(), h.min(), h.max()), (2, 500, 600));
        assert_eq!(sh.resync.load(Relaxed), 1);
    }
}
