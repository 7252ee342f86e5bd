//! `loadgen`: measures Web API methods under a fixed number of concurrent
//! clients, the way an integration would call them (bearer token).
//!
//! ```text
//! loadgen api --url http://127.0.0.1:3000 --token tsp_… --method users.list \
//!             --body '{"limit":50}' | --bodies FILE --concurrency 16 --seconds 20 [--pid <server pid>]
//! loadgen history --url … --token … --targets channels.txt [--deep] [--limit 50] …
//! loadgen ws idle --url … --tokens tokens.txt --connections 10000 --pid <server pid>
//! loadgen ws fanout --url … --plan plan.txt --rate 600 --seconds 30 --pid <server pid>
//! loadgen seed --database-url postgres://… --world world.txt --workspaces 5000   (scale/seed.rs)
//! loadgen scale --world world.txt --urls http://127.0.0.1:3401,… --part 0 --parts 5 (scale/mod.rs)
//! loadgen upload --url … --token … --channel <id> --clients 10 --size-mb 25 --pid <server pid>
//! loadgen search-lag --url … --token … --channel <id> --rate 300 --seconds 20
//! loadgen faults --urls http://127.0.0.1:3101,http://127.0.0.1:3102 --plan plan.txt --rate 50 \
//!                --seconds 30 --fault-at 8 --fault 'kill -9 1234'
//! ```
//!
//! `history` calls `conversations.history` for a random channel from the
//! targets file (one `channel_id last_seq` per line) on each request: the
//! newest page, or with `--deep` a page ending at a random seq.
//!
//! Latencies go into an HDR histogram (µs). Each client sends its next request
//! as soon as the previous one answers (closed loop), so the figures describe
//! service time at that concurrency; throughput is requests per second. With
//! `--pid`, the server's CPU time and peak RSS over the run are read from /proc.
//!
//! `ws idle` and `ws fanout` measure the WebSocket gateway instead: what an
//! open connection costs the server, and how fast a posted message reaches
//! every socket of its channel (see `ws.rs`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use hdrhistogram::Histogram;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

mod faults;
mod lag;
mod scale;
mod upload;
mod ws;

struct Args {
    history: bool,
    targets: Option<String>,
    bodies: Option<String>,
    deep: bool,
    limit: u32,
    url: String,
    token: String,
    method: String,
    body: String,
    concurrency: usize,
    seconds: u64,
    pid: Option<u32>,
}

/// Wall-clock microseconds: the send time a message carries and its arrival
/// are compared across tasks (and, in `faults`, across processes' logs).
pub(crate) fn now_us() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64)
}

/// Waits for every client task and merges their latencies and error counts.
pub(crate) async fn join_clients<E: std::ops::AddAssign + Default>(
    tasks: Vec<tokio::task::JoinHandle<(Histogram<u64>, E)>>,
) -> Result<(Histogram<u64>, E)> {
    let mut all = Histogram::<u64>::new(3)?;
    let mut errors = E::default();
    for t in tasks {
        let (h, e) = t.await?;
        all.add(h)?;
        errors += e;
    }
    Ok((all, errors))
}

fn parse() -> Result<Args> {
    let mut it = std::env::args().skip(1);
    let history = match it.next().as_deref() {
        Some("api") => false,
        Some("history") => true,
        _ => bail!(
            "usage: loadgen api --url URL --token TOKEN --method METHOD [--body JSON | --bodies FILE] [--concurrency N] [--seconds S] [--pid PID]\n\
             \x20      loadgen history --url URL --token TOKEN --targets FILE [--deep] [--limit N] [--concurrency N] [--seconds S] [--pid PID]\n\
             \x20      {}\n\x20      {}\n\x20      {}\n\x20      {}",
            ws::USAGE,
            upload::USAGE,
            lag::USAGE,
            faults::USAGE
        ),
    };
    let mut a = Args {
        history,
        targets: None,
        bodies: None,
        deep: false,
        limit: 50,
        url: "http://127.0.0.1:3000".into(),
        token: String::new(),
        method: "auth.test".into(),
        body: "{}".into(),
        concurrency: 16,
        seconds: 10,
        pid: None,
    };
    while let Some(flag) = it.next() {
        if flag == "--deep" {
            a.deep = true;
            continue;
        }
        let v = it.next().ok_or_else(|| anyhow!("{flag} needs a value"))?;
        match flag.as_str() {
            "--url" => a.url = v,
            "--token" => a.token = v,
            "--method" => a.method = v,
            "--body" => a.body = v,
            "--concurrency" => a.concurrency = v.parse()?,
            "--seconds" => a.seconds = v.parse()?,
            "--pid" => a.pid = Some(v.parse()?),
            "--targets" => a.targets = Some(v),
            "--bodies" => a.bodies = Some(v),
            "--limit" => a.limit = v.parse()?,
            other => bail!("unknown flag {other}"),
        }
    }
    if a.history {
        a.method = "conversations.history".into();
        if a.targets.is_none() {
            bail!("history needs --targets FILE");
        }
    }
    if a.token.is_empty() {
        bail!("--token is required (create one with tokens.create)");
    }
    Ok(a)
}

/// A process's counters from /proc: CPU seconds (user + system), and its
/// resident set now and at its peak, in KiB (/proc's "kB").
#[derive(Debug, Clone, Copy)]
pub(crate) struct Usage {
    pub cpu_secs: f64,
    pub rss_kib: u64,
    pub hwm_kib: u64,
}

/// Clock ticks per second, the unit of utime/stime in /proc/PID/stat.
fn clk_tck() -> f64 {
    static TCK: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TCK.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .filter(|t: &f64| *t > 0.0)
            .unwrap_or(100.0)
    })
}

pub(crate) fn proc_usage(pid: u32) -> Result<Usage> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let fields: Vec<&str> = stat.rsplit_once(')').context("stat format")?.1.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Ok(Usage { cpu_secs: ticks / clk_tck(), rss_kib: kib("VmRSS:"), hwm_kib: kib("VmHWM:") })
}

/// Makes each request's body.
type BodyFn = Arc<dyn Fn(&mut SmallRng) -> String + Send + Sync>;

fn history_bodies(a: &Args) -> Result<BodyFn> {
    let path = a.targets.as_deref().unwrap_or_default();
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    let targets: Vec<(String, i64)> = text
        .lines()
        .filter_map(|l| {
            let (id, seq) = l.trim().split_once(char::is_whitespace)?;
            Some((id.to_string(), seq.trim().parse().ok()?))
        })
        .collect();
    if targets.is_empty() {
        bail!("{path} lists no channels");
    }
    let (deep, limit) = (a.deep, i64::from(a.limit));
    Ok(Arc::new(move |rng: &mut SmallRng| {
        let (id, last) = &targets[rng.gen_range(0..targets.len())];
        if deep && *last > limit {
            let before = rng.gen_range(limit + 1..=*last);
            format!(r#"{{"channel":"{id}","limit":{limit},"before":{before}}}"#)
        } else {
            format!(r#"{{"channel":"{id}","limit":{limit}}}"#)
        }
    }))
}

#[tokio::main]
async fn main() -> Result<()> {
    if std::env::args().nth(1).as_deref() == Some("ws") {
        return ws::main(std::env::args().skip(2).collect()).await;
    }
    if std::env::args().nth(1).as_deref() == Some("faults") {
        return faults::main(std::env::args().skip(2).collect()).await;
    }
    if std::env::args().nth(1).as_deref() == Some("search-lag") {
        return lag::main(std::env::args().skip(2).collect()).await;
    }
    if std::env::args().nth(1).as_deref() == Some("scale") {
        return scale::main(std::env::args().skip(2).collect()).await;
    }
    if std::env::args().nth(1).as_deref() == Some("seed") {
        return scale::seed::main(std::env::args().skip(2).collect()).await;
    }
    if std::env::args().nth(1).as_deref() == Some("upload") {
        return upload::main(std::env::args().skip(2).collect()).await;
    }
    let a = parse()?;
    let body_fn: BodyFn = if a.history {
        history_bodies(&a)?
    } else if let Some(path) = &a.bodies {
        // One JSON body per line; each request takes a random one.
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
        let lines: Vec<String> = text.lines().filter(|l| !l.trim().is_empty()).map(str::to_string).collect();
        if lines.is_empty() {
            bail!("{path} has no bodies");
        }
        Arc::new(move |rng: &mut SmallRng| lines[rng.gen_range(0..lines.len())].clone())
    } else {
        let body = a.body.clone();
        Arc::new(move |_: &mut SmallRng| body.clone())
    };
    let client = reqwest::Client::builder().pool_max_idle_per_host(a.concurrency).build()?;
    let endpoint = format!("{}/api/{}", a.url.trim_end_matches('/'), a.method);
    let deadline = Instant::now() + Duration::from_secs(a.seconds);
    let before = a.pid.map(proc_usage).transpose()?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..a.concurrency {
        let (client, endpoint, token, body_fn) =
            (client.clone(), endpoint.clone(), a.token.clone(), body_fn.clone());
        tasks.push(tokio::spawn(async move {
            let mut h = Histogram::<u64>::new(3).expect("valid precision");
            let mut errors = 0u64;
            let mut rng = SmallRng::from_entropy();
            while Instant::now() < deadline {
                let body = body_fn(&mut rng);
                let t = Instant::now();
                let res = client
                    .post(&endpoint)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        h.record(t.elapsed().as_micros() as u64).expect("in range");
                    }
                    Ok(r) => {
                        if errors == 0 {
                            let status = r.status();
                            let text = r.text().await.unwrap_or_default();
                            eprintln!("first error: {status} {}", text.chars().take(300).collect::<String>());
                        }
                        errors += 1;
                    }
                    Err(e) => {
                        if errors == 0 {
                            eprintln!("first error: {e}");
                        }
                        errors += 1;
                    }
                }
            }
            (h, errors)
        }));
    }
    let (all, errors) = join_clients(tasks).await?;
    let elapsed = started.elapsed().as_secs_f64();
    let ms = |q: f64| all.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "{}{} concurrency={} requests={} errors={} throughput={:.0}/s p50={:.2}ms p99={:.2}ms p99.9={:.2}ms max={:.2}ms",
        a.method,
        if a.history { if a.deep { " (deep pages)" } else { " (newest pages)" } } else { "" },
        a.concurrency,
        all.len(),
        errors,
        all.len() as f64 / elapsed,
        ms(0.5),
        ms(0.99),
        ms(0.999),
        all.max() as f64 / 1000.0
    );
    if let (Some(pid), Some(u0)) = (a.pid, before) {
        let u1 = proc_usage(pid)?;
        println!(
            "server pid={pid} cpu={:.0}% (of one core) peak_rss={} MiB",
            (u1.cpu_secs - u0.cpu_secs) / elapsed * 100.0,
            u1.hwm_kib / 1024
        );
    }
    if errors > 0 {
        bail!("{errors} requests failed");
    }
    Ok(())
}
