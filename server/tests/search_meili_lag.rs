//! Search with Meilisearch while it lags: what is not indexed yet found on
//! Postgres, a long queue sending queries to Postgres, and a node start that
//! leaves an index already set up alone (search_meili.rs has the rest).
//!
//! Each test has its own database and its own index on the shared test
//! server (common::meili); without one they print a SKIPPED line.

mod common;

use app::messages::actions::update;
use app::search::meili::{self, doc_id, BEHIND_ROWS};
use common::files::eventually;
use common::meili::{cleanup, fresh, raw, say, search, serving, settings_updates};
use common::ws::general;
use common::{count, owner};
use reqwest::Method;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_message_is_found_before_meilisearch_indexes_it_and_a_long_queue_sends_search_to_postgres(
    db: PgPool,
) {
    let db = common::ctx(&db);
    let Some(m) = fresh("a_message_is_found_before_meilisearch_indexes_it") else { return };
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let c: Uuid = general(&db, &alice).await.parse().unwrap();
    let old = say(&db, &alice, c, "pangolin indexed").await;
    let (srv, t) = serving(&db, &m, &alice, "pangolin").await;
    // The test holds the index lock, so the node's indexer cannot run.
    let mut held = db.db.begin().await.unwrap();
    sqlx::query("select pg_advisory_xact_lock($1)")
        .bind(meili::INDEX_LOCK)
        .execute(&mut *held)
        .await
        .unwrap();
    let new = say(&db, &alice, c, "pangolin fresh").await;
    update(&db, &alice, c, old, "armadillo indexed").await.unwrap();
    assert_eq!(m.document(&doc_id(c, new)).await.unwrap(), None, "not indexed yet");
    // Found at once, in its current state: the new message, and the edited
    // one by its new words only.
    let b = search(&srv, &t, "pangolin").await;
    assert_eq!((&b["backend"], &b["messages"]["total"]), (&json!("meilisearch"), &json!(1)), "{b}");
    assert_eq!(b["messages"]["matches"][0]["seq"], new);
    let b = search(&srv, &t, "armadillo").await;
    assert_eq!((&b["backend"], &b["messages"]["total"]), (&json!("meilisearch"), &json!(1)), "{b}");
    assert_eq!(b["messages"]["matches"][0]["seq"], old);
    // More than BEHIND_ROWS changes queued: Postgres answers everything.
    sqlx::query("insert into search_outbox (channel_id, seq) select $1, g from generate_series(1000000, 1000000 + $2) g")
        .bind(c)
        .bind(BEHIND_ROWS)
        .execute(&*db)
        .await
        .unwrap();
    eventually("postgres to answer while the index is behind", || async {
        search(&srv, &t, "pangolin").await["backend"] == "postgres"
    })
    .await;
    assert_eq!(search(&srv, &t, "pangolin").await["messages"]["matches"][0]["seq"], new);
    let (s, b) = srv.call_bearer(&t, "admin.overview", json!({})).await;
    assert_eq!(s, 200, "{b}");
    let line = b["health"].as_array().unwrap().iter().find(|h| h["name"] == "Search").unwrap().clone();
    assert!(line["detail"].as_str().unwrap().starts_with("Meilisearch behind ("), "{line}");
    // The queue drains once the indexer may run again; the index then holds
    // both changes and answers by itself, each message once.
    sqlx::query("delete from search_outbox where seq >= 1000000").execute(&*db).await.unwrap();
    held.commit().await.unwrap();
    eventually("the index to catch up", || async {
        count(&db, "search_outbox").await == 0
            && search(&srv, &t, "pangolin").await["backend"] == "meilisearch"
    })
    .await;
    assert_eq!(m.document(&doc_id(c, new)).await.unwrap().unwrap().text, "pangolin fresh");
    assert_eq!(m.document(&doc_id(c, old)).await.unwrap().unwrap().text, "armadillo indexed");
    for (word, seq) in [("pangolin", new), ("armadillo", old)] {
        let b = search(&srv, &t, word).await;
        assert_eq!(b["messages"]["total"], 1, "{b}");
        assert_eq!(b["messages"]["matches"][0]["seq"], seq);
    }
    cleanup(&m).await;
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_node_start_changes_no_setting_the_index_already_has(db: PgPool) {
    let db = common::ctx(&db);
    let Some(m) = fresh("a_node_start_changes_no_setting_the_index_already_has") else { return };
    assert!(m.configure().await.unwrap(), "a new index is created and set up");
    let set_up = settings_updates(&m).await;
    assert!(set_up >= 1);
    // Configured again, as every node does when it starts: nothing to change,
    // so Meilisearch is not made to rebuild the index.
    assert!(!m.configure().await.unwrap());
    // Nor does a node that starts on the index and then indexes a message
    // (its indexer configures the index before it drains the outbox).
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let c: Uuid = general(&db, &alice).await.parse().unwrap();
    say(&db, &alice, c, "quokka census").await;
    let (_srv, _t) = serving(&db, &m, &alice, "quokka").await;
    let seq = say(&db, &alice, c, "quokka recount").await;
    eventually("the node to index the new message", || async {
        m.document(&doc_id(c, seq)).await.unwrap().is_some()
    })
    .await;
    assert_eq!(settings_updates(&m).await, set_up, "no settings update was queued");
    // A setting changed behind its back is put back.
    let settings = format!("/indexes/{}/settings", m.index());
    raw(Method::PATCH, &settings, Some(json!({"proximityPrecision": "byWord"}))).await;
    eventually("the change to be applied", || async {
        raw(Method::GET, &settings, None).await["proximityPrecision"] == "byWord"
    })
    .await;
    assert!(m.configure().await.unwrap());
    assert_eq!(raw(Method::GET, &settings, None).await["proximityPrecision"], "byAttribute");
    assert_eq!(settings_updates(&m).await, set_up + 2);
    cleanup(&m).await;
}
