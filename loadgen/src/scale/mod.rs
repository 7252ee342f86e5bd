//! `loadgen scale`: one load-generator process's share of the scale suite
//! (`scripts/bench-scale`, issue 17). It opens a socket for every online
//! person of its workspaces (spread over the nodes by their number), prints
//! one JSON line when they are up, and then runs what the suite writes on
//! its stdin, one JSON line of results per command:
//!
//! ```text
//! fanout RATE SECONDS MIN_RECIPIENTS MAX_RECIPIENTS GENERAL_SHARE STORM_AT SPREAD
//! mix RATE SECONDS CLASS:WEIGHT,… FANOUT_RATE
//! quit
//! ```
//!
//! `fanout` posts RATE messages/s for SECONDS on a fixed schedule (open
//! loop: the text carries the time each message was due, so a server that
//! falls behind shows as latency) to conversations of MIN..=MAX_RECIPIENTS
//! online people (at least 2), a GENERAL_SHARE of them to the #general
//! channels with more online people than that instead; each is sent
//! by one of its members through that member's node. With STORM_AT ≥ 0,
//! every socket drops at that second and comes back within SPREAD seconds,
//! resuming. Deliveries are counted on every socket of the conversation:
//! lost, duplicated, replayed, and the latency by the receiving socket's node
//! (the sender's own or another, through Redis).
//!
//! `mix` sends RATE requests/s of the classes named (`mix.rs`: sidebar loads,
//! history pages, sends, marks, presence reads, searches, the switcher's
//! member search, typing frames) in the weights given, as the people of this
//! part, while a `fanout` of FANOUT_RATE runs beside it (P4, P5).
//!
//! Why stdin: several processes (a process may hold 20,000 files) must hold
//! their sockets while the suite measures the nodes between commands.

mod fanout;
mod mix;
pub mod seed;
mod sockets;
mod world;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

use sockets::{Net, Sock};
use world::World;

pub const USAGE: &str = "loadgen scale --world FILE --urls URL[,URL…] [--part K --parts P] [--sources 8]";

pub async fn main(args: Vec<String>) -> Result<()> {
    let (mut world, mut urls, mut part, mut parts, mut sources) = (None, Vec::new(), 0usize, 1usize, 8u8);
    let mut it = args.into_iter();
    while let Some(flag) = it.next() {
        let v = it.next().ok_or_else(|| anyhow!("{flag} needs a value\nusage: {USAGE}"))?;
        match flag.as_str() {
            "--world" => world = Some(v),
            "--urls" => urls = v.split(',').map(|u| u.trim_end_matches('/').to_string()).collect(),
            "--part" => part = v.parse()?,
            "--parts" => parts = v.parse()?,
            "--sources" => sources = v.parse()?,
            other => bail!("unknown flag {other}\nusage: {USAGE}"),
        }
    }
    let Some(world) = world else { bail!("--world is required\nusage: {USAGE}") };
    if urls.is_empty() || parts == 0 || part >= parts || !(1..=254).contains(&sources) {
        bail!("--urls must name a node, --part be below --parts, --sources 1..=254");
    }
    let text = std::fs::read_to_string(&world).with_context(|| format!("reading {world}"))?;
    let world = World::parse(&text, part, parts)?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(fanout::POSTS_IN_FLIGHT)
        .timeout(Duration::from_secs(30))
        .build()?;
    let net = Net::new(http, urls, sources);
    let (alive, outboxes) = connect_all(&net, &world, part).await;
    let mut lines = stdin_lines();
    let mut run_no = 0u64;
    while let Some(line) = lines.recv().await {
        let f: Vec<&str> = line.split_whitespace().collect();
        match f.as_slice() {
            ["quit"] => break,
            ["fanout", rate, secs, min, max, general, storm_at, spread] => {
                run_no += 1;
                let plan = fanout::Plan {
                    rate: rate.parse()?,
                    seconds: secs.parse()?,
                    recipients: min.parse()?..=max.parse()?,
                    general_share: general.parse()?,
                    storm_at: storm_at.parse::<f64>().ok().filter(|s| *s >= 0.0),
                    spread: Duration::from_secs_f64(spread.parse()?),
                };
                let report = fanout::run(&net, &world, &alive, &plan, part, run_no).await?;
                println!("{report}");
            }
            ["mix", rate, secs, classes, fanout_rate] => {
                run_no += 1;
                let (rate, seconds): (f64, f64) = (rate.parse()?, secs.parse()?);
                let classes = mix::classes(classes)?;
                let fanout_rate: f64 = fanout_rate.parse()?;
                let plan = fanout::Plan {
                    rate: fanout_rate,
                    seconds,
                    recipients: 10..=40,
                    general_share: 0.0,
                    storm_at: None,
                    spread: Duration::ZERO,
                };
                let background = async {
                    if fanout_rate > 0.0 {
                        fanout::run(&net, &world, &alive, &plan, part, run_no).await.map(Some)
                    } else {
                        Ok(None)
                    }
                };
                let requests = mix::run(&net, &world, &alive, &outboxes, &classes, rate, seconds);
                let (f, m) = tokio::join!(background, requests);
                let mut m = m?;
                m["part"] = part.into();
                m["fanout"] = f?.unwrap_or_default();
                println!("{m}");
            }
            _ => bail!("unknown command: {line}"),
        }
    }
    Ok(())
}

/// Opens every socket of this part; prints the `connected` line and returns
/// which sockets are up, and each socket's outbox (frames it should send).
async fn connect_all(net: &Arc<Net>, world: &World, part: usize) -> (Vec<bool>, Vec<mix::Outbox>) {
    let started = Instant::now();
    let member_of = world.memberships();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut outboxes = Vec::with_capacity(world.socks.len());
    for (i, s) in world.socks.iter().enumerate() {
        let seqs: HashMap<String, i64> =
            member_of[i].iter().map(|&c| (world.convs[c].id.clone(), world.convs[c].last_seq)).collect();
        let sock = Sock::new(s.token.clone(), net.node_of(s.global), s.global, net.sources, seqs);
        let (net, tx) = (net.clone(), tx.clone());
        let (itx, mut irx) = tokio::sync::mpsc::unbounded_channel();
        let (otx, orx) = tokio::sync::mpsc::unbounded_channel();
        outboxes.push(otx);
        tokio::spawn(sockets::run(net, sock, itx, orx));
        tokio::spawn(async move {
            let r = irx.recv().await.unwrap_or_else(|| Err("socket task ended".into()));
            let _ = tx.send((i, r));
        });
    }
    drop(tx);
    let mut alive = vec![false; world.socks.len()];
    let mut first_error = None;
    while let Some((i, r)) = rx.recv().await {
        match r {
            Ok(()) => alive[i] = true,
            Err(e) => drop(first_error.get_or_insert(e)),
        }
    }
    let up = alive.iter().filter(|a| **a).count();
    let line = serde_json::json!({
        "phase": "connected", "part": part, "workspaces": world.workspaces, "sockets": world.socks.len(),
        "established": up, "failed": world.socks.len() - up, "conversations": world.convs.len(),
        "secs": started.elapsed().as_secs_f64(), "first_error": first_error,
    });
    println!("{line}");
    (alive, outboxes)
}

/// The suite's commands, read on a thread of their own (blocking reads).
fn stdin_lines() -> tokio::sync::mpsc::UnboundedReceiver<String> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}
