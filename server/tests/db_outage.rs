//! A Postgres restart under a running node: while the database is down the
//! API answers `503 service_unavailable` with `Retry-After` (never
//! `internal_error`), and once it is back the same node serves again
//! without a restart. The test runs a Postgres cluster of its own (initdb
//! as the `postgres` user on a free port), never the machine's server.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::ws::{general, token};
use common::{owner, Srv};
use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// The newest installed Postgres's binaries.
fn pg_bin() -> PathBuf {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<u32> = std::fs::read_dir(root)
        .expect("Postgres server binaries in /usr/lib/postgresql (apt-get install postgresql)")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    versions.sort();
    root.join(versions.last().expect("a Postgres version").to_string()).join("bin")
}

/// Runs a Postgres binary as the `postgres` user (initdb refuses root).
fn as_postgres(bin: &str, args: &[&str]) {
    let path = pg_bin().join(bin);
    let status = if is_root() {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(&path)
            .args(args)
            .stdout(Stdio::null())
            .status()
    } else {
        Command::new(&path).args(args).stdout(Stdio::null()).status()
    }
    .unwrap_or_else(|e| panic!("cannot run {}: {e}", path.display()));
    assert!(status.success(), "{bin} {args:?} failed");
}

fn is_root() -> bool {
    std::env::var("USER").map(|u| u == "root").unwrap_or(false)
        || Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false)
}

struct Cluster {
    dir: PathBuf,
    port: u16,
}

impl Cluster {
    fn create() -> Cluster {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = std::env::temp_dir().join(format!("threadspace-pg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            let ok = Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir).status().unwrap();
            assert!(ok.success());
        }
        let data = dir.join("data");
        as_postgres("initdb", &["-D", data.to_str().unwrap(), "-A", "trust", "-U", "postgres", "--no-sync"]);
        let c = Cluster { dir, port };
        c.start();
        c
    }

    fn start(&self) {
        let opts =
            format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", self.port, self.dir.display());
        let data = self.dir.join("data");
        let log = self.dir.join("log");
        as_postgres(
            "pg_ctl",
            &["-D", data.to_str().unwrap(), "-l", log.to_str().unwrap(), "-o", &opts, "-w", "start"],
        );
    }

    /// Stops at once, as a crash would (no shutdown checkpoint).
    fn crash(&self) {
        as_postgres("pg_ctl", &["-D", self.dir.join("data").to_str().unwrap(), "-m", "immediate", "stop"]);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(pg_bin().join("pg_ctl"))
            .args(["-D", data.to_str().unwrap(), "-m", "immediate", "stop"])
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn a_postgres_restart_answers_service_unavailable_and_the_node_recovers() {
    let pg = Cluster::create();
    let opts =
        PgConnectOptions::new().host("127.0.0.1").port(pg.port).username("postgres").database("postgres");
    let db = PgPoolOptions::new()
        .max_connections(5)
        .acquire_timeout(Duration::from_secs(2))
        .connect_with(opts)
        .await
        .unwrap();
    server::MIGRATOR.run(&db).await.unwrap();
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let (ta, g) = (token(&db, &alice).await, general(&db, &alice).await);
    let post = |text: &str| json!({"channel": g, "text": text, "client_msg_id": text});
    let (s, b) = srv.call_bearer(&ta, "chat.postMessage", post("before")).await;
    assert_eq!(s, 200, "{b}");

    pg.crash();
    let started = Instant::now();
    let res = reqwest::Client::new()
        .post(format!("{}/api/chat.postMessage", srv.url))
        .bearer_auth(&ta)
        .json(&post("during"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    assert!(res.headers().get("retry-after").is_some(), "Retry-After is set");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "service_unavailable", "{body}");
    assert!(body["retry_after"].as_u64().is_some(), "{body}");
    println!("503 after {} ms", started.elapsed().as_millis());
    let ready = reqwest::get(format!("{}/readyz", srv.url)).await.unwrap();
    assert_eq!(ready.status(), 503);

    pg.start();
    let back = Instant::now();
    loop {
        let (s, b) = srv.call_bearer(&ta, "chat.postMessage", post("after")).await;
        if s == 200 {
            break;
        }
        assert_eq!(b["error"], "service_unavailable", "{b}");
        assert!(back.elapsed() < Duration::from_secs(15), "the node did not recover: {b}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("serving again {} ms after Postgres restarted", back.elapsed().as_millis());
    let texts: Vec<String> =
        sqlx::query_scalar("select body from message order by seq").fetch_all(&db).await.unwrap();
    assert_eq!(texts.iter().filter(|t| *t == "before" || *t == "after").count(), 2, "{texts:?}");
    assert!(!texts.contains(&"during".to_string()), "nothing stored while the database was down");
}
