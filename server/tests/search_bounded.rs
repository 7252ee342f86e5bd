//! Postgres search that stays bounded and tenant-scoped: typo correction
//! from the caller's workspace's own words, the same words in two
//! workspaces (and the rare-word probe's index reading only the caller's
//! workspace), and the search pool's statement timeout. (The probe's plan
//! on 10M messages is shown by scripts/bench-search.)

mod common;

use app::messages::actions::{send, SendInput};
use common::ws::{general, token};
use common::{owner, Srv};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

async fn search(srv: &Srv, token: &str, q: &str) -> serde_json::Value {
    let (s, b) = srv.call_bearer(token, "search.messages", json!({"query": q})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["backend"], "postgres");
    b
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_misspelt_word_is_corrected_from_the_workspaces_own_words(db: PgPool) {
    let db = common::ctx(&db);
    let srv = Srv::start(db.db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = owner(&db, "bob@y.io", "Bobco").await;
    let (ca, cb): (Uuid, Uuid) =
        (general(&db, &alice).await.parse().unwrap(), general(&db, &bob).await.parse().unwrap());
    for (who, c, text) in [
        (&alice, ca, "The deployment is done"),
        (&alice, ca, "deployments need a review"),
        (&bob, cb, "Our kubernetes cluster"),
    ] {
        send(&db, who, SendInput { channel: c, text: text.into(), ..Default::default() }).await.unwrap();
    }
    let (ta, tb) = (token(&db, &alice).await, token(&db, &bob).await);
    let b = search(&srv, &ta, "deplyoment").await;
    assert_eq!(b["corrected"], "deployment", "{b}");
    assert_eq!(b["messages"]["total"], 2, "the stem matches both: {b}");
    // A correct word is not corrected.
    let b = search(&srv, &ta, "deployment").await;
    assert!(b.get("corrected").is_none(), "{b}");
    assert_eq!(b["messages"]["total"], 2);
    // Another workspace's words are never candidates, and a word with no
    // similar one finds nothing.
    let b = search(&srv, &ta, "kubernetis").await;
    assert_eq!((b["messages"]["total"].as_i64(), b.get("corrected")), (Some(0), None), "{b}");
    let b = search(&srv, &tb, "kubernetis").await;
    assert_eq!(b["corrected"], "kubernetes");
    assert_eq!(search(&srv, &tb, "deplyoment").await["messages"]["total"], 0);
    // Several words: each unknown one is corrected, known ones stay.
    let b = search(&srv, &ta, "deplyoment reviw").await;
    assert_eq!(b["corrected"], "deployment review", "{b}");
    assert_eq!(b["messages"]["total"], 1, "{b}");
    let b = search(&srv, &ta, "deployment zzzzqqq").await;
    assert_eq!((b["messages"]["total"].as_i64(), b.get("corrected")), (Some(0), None), "{b}");
    // Words arrive with each message (the trigger), edits included.
    let seq = send(&db, &alice, SendInput { channel: ca, text: "hello".into(), ..Default::default() })
        .await
        .unwrap()
        .seq;
    app::messages::actions::update(&db, &alice, ca, seq, "the giraffe escaped").await.unwrap();
    assert_eq!(search(&srv, &ta, "girafe").await["corrected"], "giraffe");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_same_rare_word_in_two_workspaces_is_found_only_in_ones_own(db: PgPool) {
    let db = common::ctx(&db);
    let srv = Srv::start(db.db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = owner(&db, "bob@y.io", "Bobco").await;
    let (ca, cb): (Uuid, Uuid) =
        (general(&db, &alice).await.parse().unwrap(), general(&db, &bob).await.parse().unwrap());
    for i in 0..30 {
        let text = format!("quokka report {i}");
        send(&db, &alice, SendInput { channel: ca, text: text.clone(), ..Default::default() }).await.unwrap();
        if i < 10 {
            send(&db, &bob, SendInput { channel: cb, text, ..Default::default() }).await.unwrap();
        }
    }
    let (ta, tb) = (token(&db, &alice).await, token(&db, &bob).await);
    for (t, c, n) in [(&ta, ca, 30), (&tb, cb, 10)] {
        let b = search(&srv, t, "quokka").await;
        assert_eq!(b["messages"]["total"], n, "{b}");
        assert!(b["messages"]["matches"].as_array().unwrap().iter().all(|m| m["channel"] == c.to_string()));
    }
    // Every message carries its channel's workspace (the insert trigger),
    // and the rare-word probe, as search.sql writes it, returns from the
    // (workspace_id, tsv) index only the caller's workspace's rows: 10 for
    // Bob although 40 messages hold the word.
    let wrong: i64 = sqlx::query_scalar(
        "select count(*) from message g join channel c using (channel_id) where g.workspace_id <> c.workspace_id",
    )
    .fetch_one(&db.db)
    .await
    .unwrap();
    assert_eq!(wrong, 0);
    let mut tx = db.db.begin().await.unwrap();
    sqlx::query("set local enable_seqscan = off").execute(&mut *tx).await.unwrap();
    let plan: serde_json::Value = sqlx::query_scalar(
        "explain (analyze, format json) select g.channel_id from message g
         where g.workspace_id = $1 and g.tsv @@ websearch_to_tsquery('english', 'quokka')",
    )
    .bind(bob.workspace_id)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    let mut scans = Vec::new();
    collect_index_scans(&plan[0]["Plan"], &mut scans);
    assert!(!scans.is_empty(), "{plan}");
    assert!(scans.iter().all(|(index, _)| index.contains("workspace_id_tsv")), "{scans:?}");
    assert_eq!(scans.iter().map(|(_, rows)| rows).sum::<i64>(), 10, "{scans:?}");
}

/// (index name, actual rows) of every bitmap index scan in a JSON plan.
fn collect_index_scans(node: &serde_json::Value, out: &mut Vec<(String, i64)>) {
    if node["Node Type"] == "Bitmap Index Scan" {
        out.push((
            node["Index Name"].as_str().unwrap_or("").to_string(),
            node["Actual Rows"].as_i64().unwrap_or(-1),
        ));
    }
    for child in node["Plans"].as_array().into_iter().flatten() {
        collect_index_scans(child, out);
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn searches_run_in_their_own_pool_with_a_statement_timeout(db: PgPool) {
    let srv = Srv::start_with(db.clone(), |c| c.search_timeout_ms = 1500).await;
    let pool = server::search_pool(&srv.cfg, &db);
    let t: String = sqlx::query_scalar("show statement_timeout").fetch_one(&pool).await.unwrap();
    assert_eq!(t, "1500ms");
    assert_eq!(pool.options().get_max_connections(), 2);
    // A statement over the limit is cancelled and reported as unavailable,
    // not left to hold the connection.
    let e = sqlx::query("select pg_sleep(3)").execute(&pool).await.unwrap_err();
    let app_err = app::error::AppError::from(e);
    assert_eq!(app_err.code(), "service_unavailable");
    // The main pool has no such limit.
    let main: String = sqlx::query_scalar("show statement_timeout").fetch_one(&db).await.unwrap();
    assert_eq!(main, "0");
}
