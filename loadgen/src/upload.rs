//! `loadgen upload`: many clients uploading large files at once, to show
//! that the server streams them (its memory stays flat, whatever the file
//! size) and to measure throughput.
//!
//! ```text
//! loadgen upload --url http://127.0.0.1:3000 --token tsp_… --channel <id> \
//!                --clients 10 --size-mb 25 --rounds 3 --pid <server pid>
//! ```
//!
//! Every file has unique content (so deduplication never skips the work).
//! While the uploads run, the server's resident memory is sampled every
//! 20 ms from /proc; the report gives it before, at its highest, and the
//! increase per concurrent upload.

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use hdrhistogram::Histogram;
use rand::rngs::SmallRng;
use rand::{RngCore, SeedableRng};

use crate::proc_usage;

pub const USAGE: &str = "loadgen upload --url URL --token TOKEN --channel ID [--clients N] [--size-mb MB] [--rounds R] [--pid PID]";

struct Args {
    url: String,
    token: String,
    channel: String,
    clients: usize,
    size: usize,
    rounds: usize,
    pid: Option<u32>,
}

fn parse(args: Vec<String>) -> Result<Args> {
    let mut a = Args {
        url: "http://127.0.0.1:3000".into(),
        token: String::new(),
        channel: String::new(),
        clients: 10,
        size: 25 * 1024 * 1024,
        rounds: 3,
        pid: None,
    };
    let mut it = args.into_iter();
    while let Some(flag) = it.next() {
        let v = it.next().ok_or_else(|| anyhow!("{flag} needs a value\nusage: {USAGE}"))?;
        match flag.as_str() {
            "--url" => a.url = v,
            "--token" => a.token = v,
            "--channel" => a.channel = v,
            "--clients" => a.clients = v.parse()?,
            "--size-mb" => a.size = (v.parse::<f64>()? * 1024.0 * 1024.0) as usize,
            "--rounds" => a.rounds = v.parse()?,
            "--pid" => a.pid = Some(v.parse()?),
            other => bail!("unknown flag {other}\nusage: {USAGE}"),
        }
    }
    if a.token.is_empty() || a.channel.is_empty() {
        bail!("--token and --channel are required\nusage: {USAGE}");
    }
    Ok(a)
}

/// Samples the server's RSS (KiB) until `stop` is set; returns the highest.
async fn sample_rss(pid: u32, stop: std::sync::Arc<std::sync::atomic::AtomicBool>) -> u64 {
    let mut peak = 0;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        if let Ok(u) = proc_usage(pid) {
            peak = peak.max(u.rss_kib);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    peak
}

pub async fn main(args: Vec<String>) -> Result<()> {
    let a = parse(args)?;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(600)).build()?;
    let endpoint = format!("{}/api/files.upload", a.url.trim_end_matches('/'));
    let before = a.pid.map(proc_usage).transpose()?;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = a.pid.map(|pid| tokio::spawn(sample_rss(pid, stop.clone())));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..a.clients {
        let (client, endpoint, token, channel, size, rounds) =
            (client.clone(), endpoint.clone(), a.token.clone(), a.channel.clone(), a.size, a.rounds);
        tasks.push(tokio::spawn(async move {
            let mut h = Histogram::<u64>::new(3).expect("valid precision");
            let mut rng = SmallRng::from_entropy();
            let mut errors = 0u64;
            for r in 0..rounds {
                let mut bytes = vec![0u8; size];
                rng.fill_bytes(&mut bytes);
                bytes[0] = 0; // never mistaken for text
                let part = reqwest::multipart::Part::bytes(bytes).file_name(format!("load-{c}-{r}.bin"));
                let form =
                    reqwest::multipart::Form::new().text("channel", channel.clone()).part("file", part);
                let t = Instant::now();
                match client.post(&endpoint).bearer_auth(&token).multipart(form).send().await {
                    Ok(res) if res.status().is_success() => {
                        let _ = res.bytes().await;
                        h.record(t.elapsed().as_micros() as u64).expect("in range");
                    }
                    Ok(res) => {
                        let status = res.status();
                        eprintln!("upload failed: {status} {}", res.text().await.unwrap_or_default());
                        errors += 1;
                    }
                    Err(e) => {
                        eprintln!("upload failed: {e}");
                        errors += 1;
                    }
                }
            }
            (h, errors)
        }));
    }
    let (all, errors) = crate::join_clients(tasks).await?;
    let elapsed = started.elapsed().as_secs_f64();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mib = a.size as f64 / 1024.0 / 1024.0;
    let total_mib = mib * all.len() as f64;
    let ms = |q: f64| all.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "files.upload clients={} size={mib:.1}MiB uploads={} errors={errors} elapsed={elapsed:.1}s \
         throughput={:.1}MiB/s p50={:.0}ms p99={:.0}ms max={:.0}ms",
        a.clients,
        all.len(),
        total_mib / elapsed,
        ms(0.5),
        ms(0.99),
        all.max() as f64 / 1000.0
    );
    if let (Some(pid), Some(u0), Some(s)) = (a.pid, before, sampler) {
        let peak = s.await?;
        let u1 = proc_usage(pid)?;
        println!(
            "server pid={pid} cpu={:.0}% (of one core) rss_before={} MiB rss_peak_during={} MiB \
             growth={:.1} MiB ({:.2} MiB per concurrent upload of {mib:.0} MiB) rss_after={} MiB",
            (u1.cpu_secs - u0.cpu_secs) / elapsed * 100.0,
            u0.rss_kib / 1024,
            peak / 1024,
            (peak.saturating_sub(u0.rss_kib)) as f64 / 1024.0,
            (peak.saturating_sub(u0.rss_kib)) as f64 / 1024.0 / a.clients as f64,
            u1.rss_kib / 1024
        );
    }
    Ok(())
}
