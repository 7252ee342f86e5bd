//! `threadspace`: the server binary.
//!
//! ```text
//! threadspace [serve]   migrate, then serve HTTP (default)
//! threadspace migrate   apply database migrations and exit
//! threadspace seed-demo create the demo workspace (idempotent) and print its login
//! threadspace reindex [--workspace ID | --if-needed]
//!                       rebuild the Meilisearch index from Postgres (needs MEILI_URL): the
//!                       whole index by swap, or one workspace in place; turns the outbox on.
//!                       --if-needed: only if the index has not been filled (scripts/run)
//! threadspace search-outbox on|off
//!                       switch the Meilisearch outbox (off drops the queue; Postgres answers)
//! threadspace bench-limits [SECONDS]
//!                       measure what one rate-limit check costs, in process and in Redis
//! ```

// The page types of the app the binary serves outgrow the default limit.
#![recursion_limit = "256"]

use server::{observability, Config};

fn main() {
    // Password hashing allocates a 19 MiB block per hash. glibc's dynamic
    // mmap threshold would soon serve such blocks from the heap, where they
    // fragment and are never returned (peak RSS passed 1 GiB under a login
    // burst). A fixed threshold keeps large blocks in mmap, freed on drop.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt is called once, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(async_main());
}

async fn async_main() {
    if let Err(e) = run().await {
        eprintln!("threadspace: {e}");
        std::process::exit(1);
    }
}

async fn run() -> anyhow::Result<()> {
    let mut cfg = Config::from_env()?;
    observability::init_tracing(cfg.log_json);
    let cmd = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    if cmd != "serve" {
        // Commands are jobs (a reindex, a seed): no statement timeout.
        cfg.statement_timeout_ms = 0;
    }
    match cmd.as_str() {
        "serve" => {
            let db = server::connect(&cfg).await?;
            let state = server::state(&cfg, db).await?;
            let rt = state.rt.clone();
            let app = server::router(&cfg, state).await?;
            let listener = tokio::net::TcpListener::bind(cfg.addr)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", cfg.addr))?;
            tracing::info!(url = %cfg.public_url, "ThreadSpace is up");
            println!("ThreadSpace is serving at {}", cfg.public_url);
            server::serve(listener, app, rt).await
        }
        "migrate" => {
            server::connect(&cfg).await?;
            println!("migrations applied");
            Ok(())
        }
        "seed-demo" => {
            let db = server::connect(&cfg).await?;
            server::seed::demo(&cfg, &db).await
        }
        "reindex" => {
            let db = server::connect(&cfg).await?;
            let m = server::meili_client(&cfg)?.ok_or_else(|| anyhow::anyhow!("reindex needs MEILI_URL"))?;
            let workspace = match std::env::args().nth(2).as_deref() {
                None => None,
                Some("--if-needed") => {
                    let s = app::search::meili::setting(&db).await?;
                    if s.outbox_enabled && s.meili_ready {
                        println!("the Meilisearch index is filled; nothing to do");
                        return Ok(());
                    }
                    None
                }
                Some("--workspace") => Some(
                    std::env::args()
                        .nth(3)
                        .and_then(|w| w.parse::<uuid::Uuid>().ok())
                        .ok_or_else(|| anyhow::anyhow!("--workspace needs a workspace id"))?,
                ),
                Some(other) => return Err(anyhow::anyhow!("unknown reindex option `{other}`")),
            };
            let started = std::time::Instant::now();
            let show = |done: u64, total: u64| {
                let pct = if total == 0 { 100.0 } else { done as f64 * 100.0 / total as f64 };
                let rate = done as f64 / started.elapsed().as_secs_f64().max(0.001);
                eprint!("\rindexed {done}/{total} messages ({pct:.1}%, {rate:.0}/s)   ");
            };
            let n = match workspace {
                Some(w) => m.reindex_workspace(&db, w, show).await?,
                None => m.reindex(&db, show).await?,
            };
            eprintln!();
            let secs = started.elapsed().as_secs_f64();
            println!("reindexed {n} messages in {secs:.1}s ({:.0} documents/s)", n as f64 / secs.max(0.001));
            Ok(())
        }
        "search-outbox" => {
            let db = server::connect(&cfg).await?;
            let on = match std::env::args().nth(2).as_deref() {
                Some("on") => true,
                Some("off") => false,
                _ => return Err(anyhow::anyhow!("usage: threadspace search-outbox on|off")),
            };
            app::search::meili::set_outbox(&db, on).await?;
            println!(
                "search outbox {}",
                if on {
                    "on (run `threadspace reindex` to fill the index)"
                } else {
                    "off; Postgres answers searches"
                }
            );
            Ok(())
        }
        "sample-slack-export" => {
            // threadspace sample-slack-export OUT.zip [messages] [conversations] [people]
            let arg = |i: usize| std::env::args().nth(i);
            let out = arg(2).ok_or_else(|| anyhow::anyhow!("usage: threadspace sample-slack-export OUT.zip [messages] [conversations] [people]"))?;
            let num = |i: usize, d: usize| arg(i).map(|s| s.parse::<usize>()).transpose().map(|v| v.unwrap_or(d));
            let spec = app::imports::sample::Spec {
                messages: num(3, 600)?,
                conversations: num(4, 8)?,
                people: num(5, 40)?,
                days: 30,
                messy: false,
            };
            let started = std::time::Instant::now();
            let n = app::imports::sample::write(std::path::Path::new(&out), &spec)?;
            println!("wrote {out}: {n} messages in {} conversations in {:.1} s", spec.conversations, started.elapsed().as_secs_f64());
            Ok(())
        }
        "bench-limits" => {
            let seconds = std::env::args().nth(2).map(|s| s.parse()).transpose()?.unwrap_or(10);
            server::bench_limits::run(cfg.redis_url.as_deref(), seconds).await
        }
        other => Err(anyhow::anyhow!(
            "unknown command `{other}` (expected serve, migrate, seed-demo, reindex, search-outbox, sample-slack-export or bench-limits)"
        )),
    }
}
