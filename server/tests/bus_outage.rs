//! Redis outages: a node keeps accepting sockets and sends while Redis is
//! down, restores every subscription when it returns, and cross-node
//! delivery and presence come back by themselves. Each test starts and
//! kills its own `redis-server` on a free port, never the machine's one.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use app::auth::Role;
use common::ws::{connect, general, next, open, token, Ws};
use common::{member, owner, Srv};
use futures_util::StreamExt;
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio_tungstenite::tungstenite::Message;

/// A Redis server of this test's own.
struct TestRedis {
    port: u16,
    child: Option<tokio::process::Child>,
}

impl TestRedis {
    async fn start() -> TestRedis {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut r = TestRedis { port, child: None };
        r.restart().await;
        r
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts it (again, on the same port) and waits until it answers.
    async fn restart(&mut self) {
        let child = tokio::process::Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server (apt-get install redis-server)");
        self.child = Some(child);
        let client = redis::Client::open(self.url()).unwrap();
        let started = Instant::now();
        loop {
            if let Ok(mut c) = client.get_multiplexed_async_connection().await {
                if redis::cmd("PING").query_async::<String>(&mut c).await.is_ok() {
                    return;
                }
            }
            assert!(started.elapsed() < Duration::from_secs(10), "redis-server did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL, as a crash would.
    async fn kill(&mut self) {
        let mut child = self.child.take().unwrap();
        child.start_kill().unwrap();
        child.wait().await.unwrap();
    }
}

async fn node(db: &PgPool, redis: &TestRedis) -> Srv {
    let url = redis.url();
    Srv::start_with(db.clone(), move |c| c.redis_url = Some(url)).await
}

/// Waits until `/readyz` reports the bus as `want` ("up" or "degraded").
async fn bus_is(srv: &Srv, want: &str, within: Duration) {
    let started = Instant::now();
    loop {
        let r: Value = reqwest::get(format!("{}/readyz", srv.url)).await.unwrap().json().await.unwrap();
        assert_eq!(r["database"], "up", "{r}");
        if r["bus"] == want {
            return;
        }
        assert!(started.elapsed() < within, "bus not {want} after {within:?}: {r}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Opens a socket and requires `hello`. The bug this guards against is a
/// socket that never gets one; the bound is generous so that a busy CI
/// machine does not fail it, and the time taken is printed (tens of ms
/// on a quiet machine, see docs/benchmarks.md).
async fn hello_soon(srv: &Srv, tok: &str) -> Ws {
    let started = Instant::now();
    let ws =
        tokio::time::timeout(Duration::from_secs(10), open(srv, tok)).await.expect("no hello within 10 s");
    println!("hello after {} ms", started.elapsed().as_millis());
    ws
}

/// Posts with a client_msg_id and requires an answer (the bug was a send
/// hanging for 30 s while Redis was down; the time taken is printed).
async fn post_quickly(srv: &Srv, tok: &str, channel: &str, text: &str) -> i64 {
    let body = json!({"channel": channel, "text": text, "client_msg_id": format!("outage-{}", text.replace(' ', "-"))});
    let started = Instant::now();
    let (s, b) =
        tokio::time::timeout(Duration::from_secs(10), srv.call_bearer(tok, "chat.postMessage", body))
            .await
            .expect("a send took longer than 10 s");
    assert_eq!(s, 200, "{b}");
    println!("{text}: {} ms", started.elapsed().as_millis());
    b["message"]["seq"].as_i64().unwrap()
}

/// Reads `message_created` seqs from a socket until it has `want` of them,
/// reconnecting and resuming (as the browser does) when the server closes it.
async fn collect(srv: &Srv, tok: &str, channel: &str, ws: &mut Ws, want: usize) -> Vec<i64> {
    let mut seqs: Vec<i64> = Vec::new();
    while seqs.len() < want {
        let msg = tokio::time::timeout(Duration::from_secs(15), ws.next()).await.expect("no frame in 15 s");
        match msg {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                if v["type"] == "message_created" && v["message"]["channel"] == channel {
                    seqs.push(v["message"]["seq"].as_i64().unwrap());
                }
            }
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                let last = seqs.last().copied().unwrap_or(0);
                println!("socket closed after {seqs:?}; resuming after {last}");
                let mut since = serde_json::Map::new();
                since.insert(channel.to_string(), json!(last));
                // The replay comes before `resumed`, so read it here.
                *ws = open(srv, tok).await;
                common::ws::send(ws, json!({"type": "resume", "channels": Value::Object(since)})).await;
            }
            Some(Ok(_)) => {}
        }
    }
    seqs
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_redis_outage_stops_neither_sockets_nor_sends_and_loses_nothing(db: PgPool) {
    let mut redis = TestRedis::start().await;
    let srv = node(&db, &redis).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let (ta, tb) = (token(&db, &alice).await, token(&db, &bob).await);
    let g = general(&db, &alice).await;
    let mut watching = connect(&srv, &tb, json!({})).await;
    hello_soon(&srv, &ta).await;

    redis.kill().await;
    bus_is(&srv, "degraded", Duration::from_secs(5)).await;
    hello_soon(&srv, &ta).await;
    // A workspace created during the outage: nobody's topics were known.
    let carol = owner(&db, "carol@y.io", "Beta").await;
    hello_soon(&srv, &token(&db, &carol).await).await;
    let mut sent = Vec::new();
    for i in 0..5 {
        sent.push(post_quickly(&srv, &ta, &g, &format!("during {i}")).await);
    }

    redis.restart().await;
    bus_is(&srv, "up", Duration::from_secs(5)).await;
    hello_soon(&srv, &ta).await;
    let dave = owner(&db, "dave@z.io", "Gamma").await;
    let mut fresh = hello_soon(&srv, &token(&db, &dave).await).await;
    common::ws::send(&mut fresh, json!({"type": "resume"})).await;
    assert_eq!(common::ws::next_of(&mut fresh, "resumed").await["replayed"], 0);
    for i in 0..5 {
        sent.push(post_quickly(&srv, &ta, &g, &format!("after {i}")).await);
    }

    // The socket from before the outage gets every message, live or by resume.
    let got = collect(&srv, &tb, &g, &mut watching, sent.len()).await;
    assert_eq!(got, sent, "each message once, in order");
    let stored: i64 = sqlx::query_scalar(
        "select count(*) from message where client_msg_id like 'outage-%' and channel_id = $1::uuid",
    )
    .bind(&g)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(stored, 10, "every acknowledged message stored exactly once");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn cross_node_delivery_and_presence_come_back_by_themselves(db: PgPool) {
    let mut redis = TestRedis::start().await;
    let (a, b) = (node(&db, &redis).await, node(&db, &redis).await);
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let (ta, tb) = (token(&db, &alice).await, token(&db, &bob).await);
    let g = general(&db, &alice).await;
    let mut on_b = connect(&b, &tb, json!({})).await;

    redis.kill().await;
    bus_is(&a, "degraded", Duration::from_secs(5)).await;
    bus_is(&b, "degraded", Duration::from_secs(5)).await;
    redis.restart().await;
    let back = Instant::now();

    // Cross-node delivery: a message posted on A reaches Bob's socket on B.
    let seq = post_quickly(&a, &ta, &g, "across after").await;
    let got = collect(&b, &tb, &g, &mut on_b, 1).await;
    assert_eq!(got, vec![seq]);
    let mut live = connect(&b, &tb, json!({})).await;
    let seq2 = post_quickly(&a, &ta, &g, "live across").await;
    loop {
        let v = next(&mut live).await;
        if v["type"] == "message_created" {
            assert_eq!(v["message"]["seq"], seq2);
            break;
        }
    }
    let took = back.elapsed();
    println!("cross-node delivery back {} ms after Redis returned", took.as_millis());
    assert!(took <= Duration::from_secs(5), "cross-node delivery back after {took:?}");

    // Presence: Bob, connected on B, reads online from A within 10 s.
    let bob_id = bob.member_id.to_string();
    loop {
        let (_, p) = a.call_bearer(&ta, "users.getPresence", json!({"user": bob_id})).await;
        if p["presence"] == "online" {
            break;
        }
        assert!(back.elapsed() < Duration::from_secs(10), "Bob still reads {p} after Redis returned");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("presence online {} ms after Redis returned", back.elapsed().as_millis());
    drop(live);
}
