//! `loadgen ws`: the WebSocket gateway under many sockets. The API modes say
//! nothing about what a chat server mostly does — hold sockets that sit idle,
//! and push each new message to everyone in its channel — so these do:
//!
//! - `ws idle` opens N sockets the way a bot would (`rtm.connect` ticket,
//!   then `resume`), keeps reading them, and reports what they cost the
//!   server: RSS per connection and CPU seconds.
//! - `ws fanout` opens one socket per line of a plan (`token channel_id`),
//!   posts over HTTP at a fixed total rate and measures, on every socket of
//!   the channel, the time from each message's *scheduled* send to its
//!   arrival, plus deliveries lost and duplicated.
//!
//! Why the scheduled time: posting is open loop (the schedule never waits for
//! earlier posts), and the text carries the time the message was due, so a
//! sender or server that falls behind shows up as latency instead of quietly
//! lowering the load (coordinated omission).
//!
//! Why several source addresses (127.0.0.2 …): every socket to the one server
//! port needs its own local port, and one address has only ~28k ephemeral
//! ports; spreading over 127.0.0.x lifts that limit without a second machine.

pub(crate) mod conn;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tokio::sync::Semaphore;

use crate::now_us;
use crate::{proc_usage, Usage};
use conn::{open_all, trouble_line, Shared};

pub const USAGE: &str =
    "loadgen ws idle --url URL --tokens FILE --connections N [--pid PID] [--sources 8] [--hold-secs 10]\n\
    \x20      loadgen ws fanout --url URL --plan FILE --rate R --seconds S [--pid PID] [--sources 8] [--sidebar events|reload]";

/// Posts waiting for an answer at once; later ones wait (and count as late).
const POSTS_IN_FLIGHT: usize = 1024;
/// How long to wait for deliveries after the last post answered.
const DRAIN: Duration = Duration::from_secs(5);

struct Args {
    fanout: bool,
    url: String,
    file: String,
    connections: usize,
    pid: Option<u32>,
    sources: u8,
    hold_secs: u64,
    rate: f64,
    seconds: f64,
    /// `reload`: every client reloads its sidebar after new messages, as the
    /// browser did before it kept the sidebar from events.
    sidebar_reload: bool,
}

fn parse(args: Vec<String>) -> Result<Args> {
    let mut it = args.into_iter();
    let fanout = match it.next().as_deref() {
        Some("idle") => false,
        Some("fanout") => true,
        _ => bail!("usage: {USAGE}"),
    };
    let mut a = Args {
        fanout,
        url: "http://127.0.0.1:3000".into(),
        file: String::new(),
        connections: 1000,
        pid: None,
        sources: 8,
        hold_secs: 10,
        rate: 100.0,
        seconds: 10.0,
        sidebar_reload: false,
    };
    while let Some(flag) = it.next() {
        let v = it.next().ok_or_else(|| anyhow!("{flag} needs a value"))?;
        match (flag.as_str(), fanout) {
            ("--url", _) => a.url = v.trim_end_matches('/').into(),
            ("--pid", _) => a.pid = Some(v.parse()?),
            ("--sources", _) => a.sources = v.parse()?,
            ("--tokens", false) | ("--plan", true) => a.file = v,
            ("--connections", false) => a.connections = v.parse()?,
            ("--hold-secs", false) => a.hold_secs = v.parse()?,
            ("--rate", true) => a.rate = v.parse()?,
            ("--seconds", true) => a.seconds = v.parse()?,
            ("--sidebar", true) => {
                a.sidebar_reload = match v.as_str() {
                    "reload" => true,
                    "events" => false,
                    _ => bail!("--sidebar is events or reload"),
                }
            }
            (other, _) => bail!("unknown flag {other}\nusage: {USAGE}"),
        }
    }
    if a.file.is_empty() {
        bail!("{} is required\nusage: {USAGE}", if fanout { "--plan" } else { "--tokens" });
    }
    if !(1..=254).contains(&a.sources) || a.rate <= 0.0 || a.seconds <= 0.0 {
        bail!("--sources must be 1..=254, --rate and --seconds positive");
    }
    Ok(a)
}

fn lines(path: &str) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    let v: Vec<String> = text.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
    if v.is_empty() {
        bail!("{path} is empty");
    }
    Ok(v)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

pub async fn main(args: Vec<String>) -> Result<()> {
    let a = parse(args)?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(POSTS_IN_FLIGHT)
        .timeout(Duration::from_secs(30))
        .build()?;
    let mut sh = Shared::new(http, &a.url, a.fanout);
    sh.sidebar_reload = a.sidebar_reload;
    let sh = Arc::new(sh);
    if a.fanout {
        fanout(&a, sh).await
    } else {
        idle(&a, sh).await
    }
}

async fn idle(a: &Args, sh: Arc<Shared>) -> Result<()> {
    let tokens = lines(&a.file)?;
    let tokens: Vec<String> = (0..a.connections).map(|i| tokens[i % tokens.len()].clone()).collect();
    let u0 = a.pid.map(proc_usage).transpose()?;
    let started = Instant::now();
    let up = open_all(&sh, tokens, a.sources).await.iter().filter(|r| r.is_ok()).count();
    let connect_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(a.hold_secs)).await;
    println!(
        "ws idle connections={} established={up} failed={} connect={connect_secs:.1}s ({:.0}/s) held={}s",
        a.connections,
        a.connections - up,
        up as f64 / connect_secs,
        a.hold_secs
    );
    println!("{}", trouble_line(&sh));
    if let (Some(pid), Some(u0)) = (a.pid, u0) {
        let u1 = proc_usage(pid)?;
        println!(
            "server pid={pid} rss_before={:.1} MiB rss_after={:.1} MiB rss_per_connection={:.1} KiB cpu={:.2}s peak_rss={:.0} MiB",
            mib(u0.rss_kib),
            mib(u1.rss_kib),
            (u1.rss_kib as f64 - u0.rss_kib as f64) / up.max(1) as f64,
            u1.cpu_secs - u0.cpu_secs,
            mib(u1.hwm_kib)
        );
    }
    if up < a.connections {
        bail!("{} of {} connections failed", a.connections - up, a.connections);
    }
    Ok(())
}

/// Posting side of a fan-out (`ws fanout`, `scale`).
#[derive(Default)]
pub(crate) struct Posts {
    pub ok: AtomicU64,
    pub failed: AtomicU64,
    /// Deliveries the successful posts should cause: the live sockets of
    /// their channel, the sender's own included.
    pub expected: AtomicU64,
    pub first_error: Mutex<Option<String>>,
}

impl Posts {
    /// Posts `body` in a task of its own once `in_flight` lets it, and counts
    /// the outcome (`expect` deliveries if it was accepted).
    pub fn spawn(
        self: &Arc<Self>,
        http: &reqwest::Client,
        in_flight: &Arc<Semaphore>,
        url: Arc<str>,
        token: String,
        body: String,
        expect: u64,
    ) -> tokio::task::JoinHandle<()> {
        let (posts, http, in_flight) = (self.clone(), http.clone(), in_flight.clone());
        tokio::spawn(async move {
            let _permit = in_flight.acquire().await.expect("never closed");
            match post(&http, &url, &token, body).await {
                Ok(()) => {
                    posts.ok.fetch_add(1, Relaxed);
                    posts.expected.fetch_add(expect, Relaxed);
                }
                Err(e) => {
                    posts.failed.fetch_add(1, Relaxed);
                    posts.first_error.lock().unwrap().get_or_insert(e);
                }
            }
        })
    }
}

pub(crate) async fn post(
    http: &reqwest::Client,
    endpoint: &str,
    token: &str,
    body: String,
) -> Result<(), String> {
    let r = http.post(endpoint).bearer_auth(token).header("content-type", "application/json").body(body);
    let r = r.send().await.map_err(|e| e.to_string())?;
    let status = r.status();
    let text = r.text().await.map_err(|e| e.to_string())?;
    let ok = serde_json::from_str::<serde_json::Value>(&text).is_ok_and(|v| v["ok"] == true);
    if status.is_success() && ok {
        Ok(())
    } else {
        Err(format!("{status} {}", text.chars().take(300).collect::<String>()))
    }
}

async fn fanout(a: &Args, sh: Arc<Shared>) -> Result<()> {
    let mut plan = Vec::new();
    for l in lines(&a.file)? {
        let (token, channel) =
            l.split_once(char::is_whitespace).with_context(|| format!("bad plan line: {l}"))?;
        plan.push((token.to_string(), channel.trim().to_string()));
    }
    let mut channels: Vec<String> = plan.iter().map(|(_, c)| c.clone()).collect();
    channels.sort();
    channels.dedup();
    let chan_of: Vec<usize> = plan.iter().map(|(_, c)| channels.binary_search(c).expect("listed")).collect();
    let mut members = vec![Vec::new(); channels.len()];
    for (i, &c) in chan_of.iter().enumerate() {
        members[c].push(i);
    }
    let up = open_all(&sh, plan.iter().map(|(t, _)| t.clone()).collect(), a.sources).await;
    let mut live = vec![0u64; channels.len()];
    for (i, r) in up.iter().enumerate() {
        live[chan_of[i]] += u64::from(r.is_ok());
    }
    let established: u64 = live.iter().sum();
    let d = sh.fanout.as_ref().expect("fanout mode");
    let posts = Arc::new(Posts::default());
    let plan = Arc::new(plan);
    let endpoint: Arc<str> = format!("{}/api/chat.postMessage", a.url).into();
    let in_flight = Arc::new(Semaphore::new(POSTS_IN_FLIGHT));
    let total = (a.rate * a.seconds).round() as u64;
    let mut rng = SmallRng::from_entropy();
    let (u0, measured) = (a.pid.map(proc_usage).transpose()?, Instant::now());
    // Message n is due at t0 + n/rate; its text carries that instant in µs.
    let lead = Duration::from_millis(100);
    let (t0, t0_us) = (Instant::now() + lead, now_us() + lead.as_micros() as u64);
    let mut tasks = Vec::with_capacity(total as usize);
    for n in 0..total {
        let offset = Duration::from_secs_f64(n as f64 / a.rate);
        tokio::time::sleep_until((t0 + offset).into()).await;
        let c = n as usize % channels.len();
        let sender = members[c][rng.gen_range(0..members[c].len())];
        let id = format!("{}-{n}", d.run);
        let text = format!("lg {id} {}", t0_us + offset.as_micros() as u64);
        let body =
            serde_json::json!({"channel": plan[sender].1, "text": text, "client_msg_id": id}).to_string();
        tasks.push(posts.spawn(
            &sh.http,
            &in_flight,
            endpoint.clone(),
            plan[sender].0.clone(),
            body,
            live[c],
        ));
    }
    for t in tasks {
        t.await?;
    }
    let send_secs = t0.elapsed().as_secs_f64();
    let expected = posts.expected.load(Relaxed);
    let drain_until = Instant::now() + DRAIN;
    while d.unique.load(Relaxed) < expected && Instant::now() < drain_until {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let run_secs = measured.elapsed().as_secs_f64();
    let u1: Option<Usage> = a.pid.map(proc_usage).transpose()?;
    let (ok, failed) = (posts.ok.load(Relaxed), posts.failed.load(Relaxed));
    let (unique, dups) = (d.unique.load(Relaxed), d.duplicated.load(Relaxed));
    let lost = expected.saturating_sub(unique);
    println!(
        "ws fanout connections={established}/{} channels={} rate={}/s seconds={}",
        plan.len(),
        channels.len(),
        a.rate,
        a.seconds
    );
    let first =
        posts.first_error.lock().unwrap().clone().map(|e| format!(" first error: {e}")).unwrap_or_default();
    println!("posts sent={ok} failed={failed} post_rate={:.1}/s{first}", ok as f64 / send_secs);
    let h = d.latency_us.lock().unwrap();
    let ms = |v: u64| v as f64 / 1000.0;
    println!(
        "deliveries expected={expected} received={} lost={lost} duplicated={dups} latency p50={:.1}ms p99={:.1}ms p99.9={:.1}ms max={:.1}ms",
        unique + dups,
        ms(h.value_at_quantile(0.5)),
        ms(h.value_at_quantile(0.99)),
        ms(h.value_at_quantile(0.999)),
        ms(h.max())
    );
    println!("{}", trouble_line(&sh));
    println!(
        "sidebar mode={} list_reloads={}",
        if a.sidebar_reload { "reload" } else { "events" },
        sh.sidebar_loads.load(Relaxed)
    );
    if let (Some(pid), Some(u0), Some(u1)) = (a.pid, u0, u1) {
        let cpu = u1.cpu_secs - u0.cpu_secs;
        println!(
            "server pid={pid} cpu={cpu:.2}s ({:.0}% of one core over {run_secs:.1}s) rss={:.1} MiB peak_rss={:.0} MiB",
            cpu / run_secs * 100.0,
            mib(u1.rss_kib),
            mib(u1.hwm_kib)
        );
    }
    if failed > 0 || lost > 0 || dups > 0 || established < plan.len() as u64 {
        bail!(
            "fan-out incomplete: {} connections and {failed} posts failed, {lost} deliveries lost, {dups} duplicated",
            plan.len() as u64 - established
        );
    }
    Ok(())
}
