//! Search with Meilisearch: the transactional outbox, the indexer, reindex,
//! edits and deletes, typo tolerance, and the fallback to Postgres.
//!
//! The tests that need a real Meilisearch run only when `MEILI_URL` (and
//! `MEILI_MASTER_KEY` if it has one) is set, and print a SKIPPED line
//! otherwise (scripts/test runs this file with --nocapture so the line shows).
//! The fallback and outbox-retention tests need no Meilisearch and always run.

mod common;

use app::messages::actions::{send, update, SendInput};
use app::search::meili::{self, Meili};
use common::files::eventually;
use common::ws::{general, token};
use common::{count, owner, Srv};
use serde_json::json;
use sqlx::PgPool;

fn meili_url() -> Option<String> {
    std::env::var("MEILI_URL").ok().filter(|u| !u.is_empty())
}

fn skipped(test: &str) -> bool {
    if meili_url().is_none() {
        println!("SKIPPED {test}: MEILI_URL is not set, so the Meilisearch backend was not tested");
        return true;
    }
    false
}

fn real() -> Meili {
    Meili::new(&meili_url().unwrap(), std::env::var("MEILI_MASTER_KEY").ok().as_deref()).unwrap()
}

fn dead() -> Meili {
    Meili::new("http://127.0.0.1:9", None).unwrap()
}

async fn search(srv: &Srv, token: &str, q: &str) -> serde_json::Value {
    let (s, b) = srv.call_bearer(token, "search.messages", json!({"query": q})).await;
    assert_eq!(s, 200, "{b}");
    b
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn when_meilisearch_is_down_postgres_answers_and_the_outbox_keeps_everything(db: PgPool) {
    let db = common::ctx(&db);
    let srv = Srv::start_with(db.db.clone(), |c| c.meili_url = Some("http://127.0.0.1:9".into())).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let (t, c) = (token(&db, &alice).await, general(&db, &alice).await);
    let (s, _) =
        srv.call_bearer(&t, "chat.postMessage", json!({"channel": c, "text": "quarterly numbers"})).await;
    assert_eq!(s, 200);
    let b = search(&srv, &t, "quarterly").await;
    assert_eq!(b["backend"], "postgres", "{b}");
    assert_eq!(b["messages"]["total"], 1);
    // The write queued its outbox row in its own transaction, and a failed
    // indexing attempt leaves it there.
    assert_eq!(count(&db, "search_outbox").await, 1);
    assert!(dead().drain(&db, 100).await.is_err());
    assert_eq!(count(&db, "search_outbox").await, 1);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn without_meilisearch_nothing_is_queued(db: PgPool) {
    let db = common::ctx(&db);
    let _srv = Srv::start(db.db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let c = general(&db, &alice).await.parse().unwrap();
    send(&db, &alice, SendInput { channel: c, text: "hello".into(), ..Default::default() }).await.unwrap();
    assert_eq!(count(&db, "search_outbox").await, 0);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_outbox_survives_an_indexer_crash_and_edits_and_deletes_propagate(db: PgPool) {
    let db = common::ctx(&db);
    if skipped("the_outbox_survives_an_indexer_crash_and_edits_and_deletes_propagate") {
        return;
    }
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let c = general(&db, &alice).await.parse().unwrap();
    meili::set_outbox(&db, true).await.unwrap();
    let m = real();
    m.configure().await.unwrap();
    let sent = send(
        &db,
        &alice,
        SendInput { channel: c, text: "zanzibar quarterly plan".into(), ..Default::default() },
    )
    .await
    .unwrap();
    // The indexer "crashes": its transaction rolls back, the row stays.
    assert!(dead().drain(&db, 100).await.is_err());
    assert_eq!(count(&db, "search_outbox").await, 1);
    // A healthy indexer picks it up.
    assert_eq!(m.drain(&db, 100).await.unwrap(), 1);
    assert_eq!(count(&db, "search_outbox").await, 0);
    let q = app::search::query::parse("zanzibar").unwrap();
    let (total, hits) =
        m.search(alice.workspace_id, &[c], None, &q, Default::default(), 0, 10).await.unwrap();
    assert_eq!((total, hits[0].seq), (1, sent.seq));
    assert!(hits[0].snippet_html.contains("<mark>zanzibar</mark>"), "{}", hits[0].snippet_html);
    // Typo tolerance.
    let typo = app::search::query::parse("zanzibr").unwrap();
    assert_eq!(
        m.search(alice.workspace_id, &[c], None, &typo, Default::default(), 0, 10).await.unwrap().0,
        1
    );
    // An edit propagates.
    update(&db, &alice, c, sent.seq, "mombasa annual plan").await.unwrap();
    m.drain(&db, 100).await.unwrap();
    assert_eq!(m.search(alice.workspace_id, &[c], None, &q, Default::default(), 0, 10).await.unwrap().0, 0);
    let q2 = app::search::query::parse("mombasa").unwrap();
    assert_eq!(m.search(alice.workspace_id, &[c], None, &q2, Default::default(), 0, 10).await.unwrap().0, 1);
    // So does a delete.
    app::messages::actions::delete(&db, &alice, c, sent.seq).await.unwrap();
    m.drain(&db, 100).await.unwrap();
    assert_eq!(m.search(alice.workspace_id, &[c], None, &q2, Default::default(), 0, 10).await.unwrap().0, 0);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn reindex_rebuilds_from_postgres_and_the_api_answers_from_meilisearch(db: PgPool) {
    let db = common::ctx(&db);
    if skipped("reindex_rebuilds_from_postgres_and_the_api_answers_from_meilisearch") {
        return;
    }
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let c = general(&db, &alice).await.parse().unwrap();
    meili::set_outbox(&db, false).await.unwrap();
    for i in 0..25 {
        send(
            &db,
            &alice,
            SendInput { channel: c, text: format!("kilimanjaro note {i}"), ..Default::default() },
        )
        .await
        .unwrap();
    }
    let m = real();
    let mut seen = Vec::new();
    let n = m.reindex(&db, |done, total| seen.push((done, total))).await.unwrap();
    assert!(n >= 25);
    assert_eq!(seen.last().map(|s| s.0), Some(n), "progress reaches the end");
    let srv = Srv::start(db.db.clone()).await;
    let t = token(&db, &alice).await;
    let b = search(&srv, &t, "kilimanjaro").await;
    assert_eq!(b["backend"], "meilisearch", "{b}");
    assert_eq!(b["messages"]["total"], 25);
    // New messages reach the index through the outbox and the running indexer.
    let (s, _) = srv.call_bearer(&t, "chat.postMessage", json!({"channel": c, "text": "serengeti"})).await;
    assert_eq!(s, 200);
    eventually("the new message to be searchable", || async {
        search(&srv, &t, "serengeti").await["messages"]["total"] == 1
    })
    .await;
}
