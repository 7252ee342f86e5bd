//! Several nodes sharing Postgres and Redis: events fan out through Redis
//! pub/sub, and presence survives (and notices) a node killed outright.
//! Needs Redis at `REDIS_URL` (default redis://127.0.0.1:6379).

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use app::auth::Role;
use common::ws::{connect, general, next_of, post, presence_of, send, token};
use common::{member, owner, Srv};
use serde_json::json;
use sqlx::PgPool;

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

async fn node(db: &PgPool) -> Srv {
    Srv::start_with(db.clone(), |c| c.redis_url = Some(redis_url())).await
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_message_posted_on_one_node_reaches_a_client_on_another(db: PgPool) {
    let (a, b) = (node(&db).await, node(&db).await);
    assert_ne!(a.rt.node, b.rt.node);
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let (ta, tb) = (token(&db, &alice).await, token(&db, &bob).await);
    let g = general(&db, &alice).await;
    let mut on_b = connect(&b, &tb, json!({})).await;
    let mut on_a = connect(&a, &ta, json!({})).await;

    let sent = post(&a, &ta, &g, "across nodes").await;
    let got = next_of(&mut on_b, "message_created").await;
    assert_eq!(got["message"]["seq"], sent["seq"]);
    assert_eq!(got["message"]["text"], "across nodes");

    // The sender's own socket gets its message too.
    assert_eq!(next_of(&mut on_a, "message_created").await["message"]["seq"], sent["seq"]);
    send(&mut on_b, json!({"type": "typing", "channel": g})).await;
    let t = next_of(&mut on_a, "typing").await;
    assert_eq!(t["user"], bob.member_id.to_string());
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn presence_is_shared_and_a_killed_node_takes_its_members_offline(db: PgPool) {
    let a = node(&db).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let (ta, tb) = (token(&db, &alice).await, token(&db, &bob).await);
    let bob_id = bob.member_id.to_string();
    let mut watcher = connect(&a, &ta, json!({})).await;

    // Node C is a real `threadspace` process, so it can be killed outright.
    let dbname: String = sqlx::query_scalar("select current_database()").fetch_one(&db).await.unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let data = std::env::temp_dir().join(format!("threadspace-node-{}", uuid::Uuid::new_v4()));
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_threadspace"))
        .env("DATABASE_URL", format!("postgres://postgres@127.0.0.1:5432/{dbname}"))
        .env("REDIS_URL", redis_url())
        .env("THREADSPACE_ADDR", format!("127.0.0.1:{port}"))
        .env("THREADSPACE_DATA_DIR", &data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start node C");
    let c_url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    loop {
        match reqwest::get(format!("{c_url}/healthz")).await {
            Ok(r) if r.status() == 200 => break,
            _ if started.elapsed() > Duration::from_secs(60) => panic!("node C did not start"),
            _ => tokio::task::yield_now().await,
        }
    }
    let c = Srv {
        url: c_url,
        db: db.clone(),
        client: common::client(),
        cfg: a.cfg.clone(),
        rt: a.rt.clone(),
        files: a.files.clone(),
        search_stats: a.search_stats.clone(),
        imports: a.imports.clone(),
    };
    let on_c = connect(&c, &tb, json!({})).await;
    let p = presence_of(&mut watcher, &bob_id).await;
    assert_eq!(p["presence"], "online");
    let (_, got) = a.call_bearer(&ta, "users.getPresence", json!({"user": bob_id})).await;
    assert_eq!(got["presence"], "online", "node A sees node C's member");

    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let killed = Instant::now();
    let p = presence_of(&mut watcher, &bob_id).await;
    let took = killed.elapsed();
    assert_eq!(p["presence"], "offline");
    assert!(took <= Duration::from_secs(10), "offline after {took:?}");
    println!("node killed: presence went offline after {} ms", took.as_millis());
    drop(on_c);
}

/// The socket caps hold for the cluster: a member at the cap on one node is
/// refused on the other before the upgrade, and gets the slot back when one
/// of its sockets closes.
#[sqlx::test(migrator = "server::MIGRATOR")]
async fn socket_caps_hold_across_nodes(db: PgPool) {
    let capped = |c: &mut server::Config| {
        c.redis_url = Some(redis_url());
        c.ws_per_member = 2;
    };
    let (a, b) = (Srv::start_with(db.clone(), capped).await, Srv::start_with(db.clone(), capped).await);
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let t = token(&db, &alice).await;
    let first = common::ws::open(&a, &t).await;
    let _second = common::ws::open(&b, &t).await;
    for node in [&a, &b] {
        match tokio_tungstenite::connect_async(common::ws::ticket_url(node, &t).await).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 429),
            other => panic!("expected 429, got {:?}", other.map(|(_, r)| r.status())),
        }
    }
    drop(first);
    common::files::eventually("the slot freed on node A to be usable on node B", || async {
        tokio_tungstenite::connect_async(common::ws::ticket_url(&b, &t).await).await.is_ok()
    })
    .await;
}
