//! `loadgen search-lag`: commit-to-searchable lag under a steady send rate.
//!
//! Messages are posted on a fixed schedule (`--rate` per second, in all),
//! in turn to each channel of `--channel` (one id, or several separated by
//! commas: a deployment's 300 messages a second go to many conversations,
//! and one conversation's sends wait for each other's commit). Every `--probe-every`th message,
//! once acknowledged (committed), is searched for every 20 ms until
//! `search.messages` finds it; the time from the acknowledgement to the
//! first answer that contains it is the lag (to within the 20 ms poll).
//! The report counts which backend found each probe.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use hdrhistogram::Histogram;
use tokio::sync::Mutex;

pub const USAGE: &str =
    "loadgen search-lag --url URL --token TOKEN --channel ID[,ID...] [--rate 300] [--seconds 20] [--probe-every 30]";

pub async fn main(args: Vec<String>) -> Result<()> {
    let (mut url, mut token, mut channel) =
        (String::from("http://127.0.0.1:3000"), String::new(), String::new());
    let (mut rate, mut seconds, mut every) = (300u64, 20u64, 30u64);
    let mut it = args.into_iter();
    while let Some(flag) = it.next() {
        let v = it.next().ok_or_else(|| anyhow!("{flag} needs a value\nusage: {USAGE}"))?;
        match flag.as_str() {
            "--url" => url = v.trim_end_matches('/').into(),
            "--token" => token = v,
            "--channel" => channel = v,
            "--rate" => rate = v.parse()?,
            "--seconds" => seconds = v.parse()?,
            "--probe-every" => every = v.parse::<u64>()?.max(1),
            other => bail!("unknown flag {other}\nusage: {USAGE}"),
        }
    }
    let channels: Vec<String> = channel.split(',').filter(|c| !c.is_empty()).map(String::from).collect();
    if token.is_empty() || channels.is_empty() {
        bail!("--token and --channel are required\nusage: {USAGE}");
    }
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    let run: u32 = rand::random::<u32>() % 1_000_000;
    let lags = Arc::new(Mutex::new(Histogram::<u64>::new(3)?));
    // sent, failed, lost, and how many probes each backend found
    let stats = Arc::new(Mutex::new((0u64, 0u64, 0u64, std::collections::BTreeMap::<String, u64>::new())));
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    let mut n = 0u64;
    while Instant::now() < end {
        tick.tick().await;
        n += 1;
        let probe = n.is_multiple_of(every);
        let channel = channels[(n as usize) % channels.len()].clone();
        let (client, url, token, lags, stats) =
            (client.clone(), url.clone(), token.clone(), lags.clone(), stats.clone());
        tasks.push(tokio::spawn(async move {
            let word = format!("zl{run}x{n}");
            let text = format!("lag probe {word} at the usual rate");
            let sent = client
                .post(format!("{url}/api/chat.postMessage"))
                .bearer_auth(&token)
                .json(&serde_json::json!({"channel": channel, "text": text}))
                .send()
                .await;
            let ok = matches!(&sent, Ok(r) if r.status().is_success());
            let acked = Instant::now();
            {
                let mut s = stats.lock().await;
                if ok {
                    s.0 += 1
                } else {
                    s.1 += 1
                }
            }
            if !ok || !probe {
                return;
            }
            while acked.elapsed() < Duration::from_secs(10) {
                let b: serde_json::Value = match client
                    .post(format!("{url}/api/search.messages"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"query": word}))
                    .send()
                    .await
                {
                    Ok(r) => r.json().await.unwrap_or_default(),
                    Err(_) => serde_json::Value::Null,
                };
                if b["messages"]["total"].as_i64().unwrap_or(0) > 0 {
                    lags.lock().await.record(acked.elapsed().as_micros() as u64).expect("in range");
                    *stats.lock().await.3.entry(b["backend"].as_str().unwrap_or("?").into()).or_default() +=
                        1;
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            stats.lock().await.2 += 1;
        }));
    }
    for t in tasks {
        t.await?;
    }
    let (h, (sent, failed, lost, backend)) = (lags.lock().await.clone(), stats.lock().await.clone());
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    let backend = backend.iter().map(|(b, n)| format!("{b}={n}")).collect::<Vec<_>>().join(" ");
    println!(
        "search lag ({backend}): rate={rate}/s sent={sent} failed={failed} probes={} not_found_in_10s={lost} \
         p50={:.0}ms p99={:.0}ms max={:.0}ms",
        h.len() + lost,
        ms(0.5),
        ms(0.99),
        h.max() as f64 / 1000.0
    );
    if failed > 0 || lost > 0 {
        bail!("{failed} sends failed, {lost} probes not found");
    }
    Ok(())
}
