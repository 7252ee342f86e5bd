//! Search with Meilisearch: the transactional outbox and who switches it,
//! the single indexer, hits checked against Postgres, reindex by swap under
//! live writes, a workspace reindex, and Postgres answering when
//! Meilisearch is down (search_meili_lag.rs: what is not indexed yet, a long
//! queue, and a node start that leaves the index alone).
//!
//! Every test has its own database and its own index on the shared test
//! server (common::meili), so they run in parallel. The tests that need a
//! real Meilisearch print a SKIPPED line without one (scripts/test starts
//! one from ../shared/tools/meilisearch when that folder exists).

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use app::messages::actions::{delete, update};
use app::search::meili::{self, doc_id, Meili};
use common::files::eventually;
use common::meili::{cleanup, configure, dead, fresh, meili_seqs, say, search, serving};
use common::ws::{general, token};
use common::{count, owner, Srv};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn when_meilisearch_is_down_postgres_answers_and_the_outbox_keeps_everything(db: PgPool) {
    let db = common::ctx(&db);
    meili::set_outbox(&db, true).await.unwrap();
    sqlx::query("update search_setting set meili_ready = true").execute(&*db).await.unwrap();
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
    assert!(count(&db, "search_outbox").await >= 1);
    let before = count(&db, "search_outbox").await;
    assert!(dead().drain(&db, 100).await.is_err());
    assert_eq!(count(&db, "search_outbox").await, before);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn only_a_command_switches_the_outbox_never_a_node(db: PgPool) {
    let db = common::ctx(&db);
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let c = general(&db, &alice).await.parse().unwrap();
    // Off by default: a Postgres-only install queues nothing, and a node
    // with MEILI_URL does not switch it on.
    let _with = Srv::start_with(db.db.clone(), |c| c.meili_url = Some("http://127.0.0.1:9".into())).await;
    say(&db, &alice, c, "hello").await;
    assert_eq!(count(&db, "search_outbox").await, 0);
    assert!(!meili::setting(&db).await.unwrap().outbox_enabled);
    // Switched on by the command, a node started without MEILI_URL leaves
    // it on and keeps the queue.
    meili::set_outbox(&db, true).await.unwrap();
    let _without = Srv::start(db.db.clone()).await;
    say(&db, &alice, c, "still queued").await;
    assert_eq!(count(&db, "search_outbox").await, 1);
    assert!(meili::setting(&db).await.unwrap().outbox_enabled);
    // Switched off by the command: the queue goes, and the index is no
    // longer used for queries until a reindex.
    sqlx::query("update search_setting set meili_ready = true").execute(&*db).await.unwrap();
    meili::set_outbox(&db, false).await.unwrap();
    let s = meili::setting(&db).await.unwrap();
    assert!(!s.outbox_enabled && !s.meili_ready);
    assert_eq!(count(&db, "search_outbox").await, 0);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_outbox_survives_an_indexer_crash_and_edits_and_deletes_propagate(db: PgPool) {
    let db = common::ctx(&db);
    let Some(m) = fresh("the_outbox_survives_an_indexer_crash_and_edits_and_deletes_propagate") else {
        return;
    };
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let c = general(&db, &alice).await.parse().unwrap();
    meili::set_outbox(&db, true).await.unwrap();
    m.configure().await.unwrap();
    let seq = say(&db, &alice, c, "zanzibar quarterly plan").await;
    // The indexer "crashes": its transaction rolls back, the row stays.
    assert!(dead().drain(&db, 100).await.is_err());
    assert_eq!(count(&db, "search_outbox").await, 1);
    // A healthy indexer picks it up.
    assert_eq!(m.drain(&db, 100).await.unwrap(), 1);
    assert_eq!(count(&db, "search_outbox").await, 0);
    let q = app::search::query::parse("zanzibar").unwrap();
    let (total, hits) =
        m.search(&db, alice.workspace_id, &[c], None, &q, Default::default(), 0, 10).await.unwrap();
    assert_eq!((total, hits[0].seq), (1, seq));
    assert!(hits[0].snippet_html.contains("<mark>zanzibar</mark>"), "{}", hits[0].snippet_html);
    // Typo tolerance.
    assert_eq!(meili_seqs(&m, &db, alice.workspace_id, c, "zanzibr").await, vec![seq]);
    // An edit propagates.
    update(&db, &alice, c, seq, "mombasa annual plan").await.unwrap();
    m.drain(&db, 100).await.unwrap();
    assert!(meili_seqs(&m, &db, alice.workspace_id, c, "zanzibar").await.is_empty());
    assert_eq!(meili_seqs(&m, &db, alice.workspace_id, c, "mombasa").await, vec![seq]);
    // So does a delete: the document leaves the index.
    delete(&db, &alice, c, seq).await.unwrap();
    m.drain(&db, 100).await.unwrap();
    assert_eq!(m.document(&doc_id(c, seq)).await.unwrap(), None);
    cleanup(&m).await;
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn reindex_fills_the_index_and_the_api_answers_from_meilisearch(db: PgPool) {
    let db = common::ctx(&db);
    let Some(m) = fresh("reindex_fills_the_index_and_the_api_answers_from_meilisearch") else { return };
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let c = general(&db, &alice).await.parse().unwrap();
    for i in 0..25 {
        say(&db, &alice, c, &format!("kilimanjaro note {i}")).await;
    }
    let srv = Srv::start_with(db.db.clone(), |cfg| configure(cfg, &m)).await;
    let t = token(&db, &alice).await;
    // Before any reindex the index is not used.
    assert_eq!(search(&srv, &t, "kilimanjaro").await["backend"], "postgres");
    let mut seen = Vec::new();
    let n = m.reindex(&db, |done, total| seen.push((done, total))).await.unwrap();
    assert_eq!(n, 25);
    assert_eq!(seen.last(), Some(&(25, 25)), "progress reaches the end");
    let (status, done, total): (String, i64, i64) =
        sqlx::query_as("select status, done, total from search_reindex").fetch_one(&*db).await.unwrap();
    assert_eq!((status.as_str(), done, total), ("done", 25, 25));
    eventually("the node to use meilisearch", || async {
        search(&srv, &t, "kilimanjaro").await["backend"] == "meilisearch"
    })
    .await;
    assert_eq!(search(&srv, &t, "kilimanjaro").await["messages"]["total"], 25);
    // New messages reach the index through the outbox and the running indexer.
    let (s, _) = srv.call_bearer(&t, "chat.postMessage", json!({"channel": c, "text": "serengeti"})).await;
    assert_eq!(s, 200);
    eventually("the new message to be searchable", || async {
        let b = search(&srv, &t, "serengeti").await;
        b["backend"] == "meilisearch" && b["messages"]["total"] == 1
    })
    .await;
    // A reindex in progress shows in the admin overview.
    sqlx::query("insert into search_reindex (workspace_id, done, total) values (null, 5, 10)")
        .execute(&*db)
        .await
        .unwrap();
    let (s, b) = srv.call_bearer(&t, "admin.overview", json!({})).await;
    assert_eq!(s, 200, "{b}");
    let health = b["health"].as_array().unwrap();
    let line = health.iter().find(|h| h["name"] == "Search").unwrap();
    assert!(line["detail"].as_str().unwrap().contains("reindexing: 5 of 10 messages (50%)"), "{line}");
    cleanup(&m).await;
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_reindex_under_live_writes_never_blanks_search_and_loses_nothing(db: PgPool) {
    let db = common::ctx(&db);
    let Some(m) = fresh("a_reindex_under_live_writes_never_blanks_search_and_loses_nothing") else { return };
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let c: Uuid = general(&db, &alice).await.parse().unwrap();
    let mut old = Vec::new();
    for i in 0..400 {
        old.push(say(&db, &alice, c, &format!("baobab entry {i}")).await);
    }
    let (srv, t) = serving(&db, &m, &alice, "baobab").await;
    let running = Arc::new(AtomicBool::new(true));
    // Writes during the reindex: new messages, edits of old ones, deletes.
    let writer = {
        let (db, alice, running) = (db.clone(), alice.clone(), running.clone());
        let old = old.clone();
        tokio::spawn(async move {
            let mut written = Vec::new();
            let mut i = 0;
            while (running.load(Ordering::Relaxed) || i < 20) && i < 150 {
                written.push(say(&db, &alice, c, &format!("acacia {i}")).await);
                update(&db, &alice, c, old[i], &format!("mangrove {i}")).await.unwrap();
                delete(&db, &alice, c, old[200 + i]).await.unwrap();
                i += 1;
            }
            (written, i)
        })
    };
    // Searches during the reindex: never empty.
    let searches = Arc::new(AtomicUsize::new(0));
    let searcher = {
        let (running, searches) = (running.clone(), searches.clone());
        let (url, t) = (srv.url.clone(), t.clone());
        tokio::spawn(async move {
            let client = common::client();
            while running.load(Ordering::Relaxed) {
                let b: serde_json::Value = client
                    .post(format!("{url}/api/search.messages"))
                    .bearer_auth(&t)
                    .json(&json!({"query": "baobab"}))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                // Postgres answers if Meilisearch is slow for a moment; either
                // way the answer is never empty.
                assert!(b["messages"]["total"].as_i64().unwrap() > 0, "search came back empty: {b}");
                if b["backend"] == "meilisearch" {
                    searches.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
    };
    let again = Meili::new(
        &common::meili::server().unwrap().0,
        common::meili::server().unwrap().1.as_deref(),
        m.index(),
    )
    .unwrap();
    again.reindex(&db, |_, _| {}).await.unwrap();
    running.store(false, Ordering::Relaxed);
    searcher.await.unwrap();
    let (written, n) = writer.await.unwrap();
    assert!(searches.load(Ordering::Relaxed) > 0, "meilisearch answered during the reindex");
    // Everything written during it is found afterwards, in its newest state.
    // The writer has finished, so an empty outbox means every write (the
    // last delete too, which comes after the last edit) has been applied.
    let ws = alice.workspace_id;
    eventually("every write to be in the index", || async {
        count(&db, "search_outbox").await == 0
            && meili_seqs(&m, &db, ws, c, "acacia").await.len() == written.len()
            && meili_seqs(&m, &db, ws, c, "mangrove").await.len() == n
    })
    .await;
    for i in 0..n {
        assert_eq!(m.document(&doc_id(c, old[200 + i])).await.unwrap(), None, "deleted during the reindex");
        let d = m.document(&doc_id(c, old[i])).await.unwrap().unwrap();
        assert_eq!(d.text, format!("mangrove {i}"), "edited during the reindex");
    }
    assert!(!meili::setting(&db).await.unwrap().rebuilding);
    assert_eq!(count(&db, "search_rebuild_log").await, 0);
    cleanup(&m).await;
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn edits_and_a_delete_racing_two_indexers_end_in_the_newest_state(db: PgPool) {
    let db = common::ctx(&db);
    let Some(m) = fresh("edits_and_a_delete_racing_two_indexers_end_in_the_newest_state") else { return };
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let c: Uuid = general(&db, &alice).await.parse().unwrap();
    m.reindex(&db, |_, _| {}).await.unwrap();
    let (a, b) = (say(&db, &alice, c, "draft 0").await, say(&db, &alice, c, "doomed 0").await);
    let server = common::meili::server().unwrap();
    for _ in 0..2 {
        Arc::new(Meili::new(&server.0, server.1.as_deref(), m.index()).unwrap()).start(db.db.clone());
    }
    for i in 1..=40 {
        update(&db, &alice, c, a, &format!("draft {i}")).await.unwrap();
        update(&db, &alice, c, b, &format!("doomed {i}")).await.unwrap();
    }
    delete(&db, &alice, c, b).await.unwrap();
    eventually("the outbox to drain", || async { count(&db, "search_outbox").await == 0 }).await;
    assert_eq!(m.document(&doc_id(c, a)).await.unwrap().unwrap().text, "draft 40");
    assert_eq!(m.document(&doc_id(c, b)).await.unwrap(), None);
    cleanup(&m).await;
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_message_changed_after_indexing_never_shows_its_old_state(db: PgPool) {
    let db = common::ctx(&db);
    let Some(m) = fresh("a_message_changed_after_indexing_never_shows_its_old_state") else { return };
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let c: Uuid = general(&db, &alice).await.parse().unwrap();
    let gone = say(&db, &alice, c, "okapi sighting").await;
    let edited = say(&db, &alice, c, "okapi census").await;
    m.reindex(&db, |_, _| {}).await.unwrap();
    assert_eq!(meili_seqs(&m, &db, alice.workspace_id, c, "okapi").await.len(), 2);
    // No indexer runs: the index still holds both documents as they were.
    delete(&db, &alice, c, gone).await.unwrap();
    update(&db, &alice, c, edited, "zebra census").await.unwrap();
    assert!(m.document(&doc_id(c, gone)).await.unwrap().is_some());
    assert!(meili_seqs(&m, &db, alice.workspace_id, c, "okapi").await.is_empty(), "checked against Postgres");
    // Nor does Postgres return them.
    let srv = Srv::start(db.db.clone()).await;
    let t = token(&db, &alice).await;
    let b = search(&srv, &t, "okapi").await;
    assert_eq!((b["backend"].as_str(), b["messages"]["total"].as_i64()), (Some("postgres"), Some(0)), "{b}");
    cleanup(&m).await;
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn each_workspace_finds_only_its_own_and_a_workspace_reindex_touches_only_it(db: PgPool) {
    let db = common::ctx(&db);
    let Some(m) = fresh("each_workspace_finds_only_its_own_and_a_workspace_reindex_touches_only_it") else {
        return;
    };
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = owner(&db, "bob@y.io", "Bobco").await;
    let (ca, cb): (Uuid, Uuid) =
        (general(&db, &alice).await.parse().unwrap(), general(&db, &bob).await.parse().unwrap());
    let a1 = say(&db, &alice, ca, "walrus migration").await;
    let b1 = say(&db, &bob, cb, "walrus migration").await;
    let (srv, ta) = serving(&db, &m, &alice, "walrus").await;
    let tb = token(&db, &bob).await;
    for (t, c, seq) in [(&ta, ca, a1), (&tb, cb, b1)] {
        let b = search(&srv, t, "walrus").await;
        assert_eq!(b["messages"]["total"], 1, "{b}");
        assert_eq!(b["messages"]["matches"][0]["channel"], c.to_string());
        assert_eq!(b["messages"]["matches"][0]["seq"], seq);
    }
    // A stale document in Acme (its message gone without the outbox seeing
    // it) goes with Acme's reindex; Bobco's documents are not rewritten.
    let mut stale = m.document(&doc_id(ca, a1)).await.unwrap().unwrap();
    (stale.id, stale.seq) = (doc_id(ca, 9999), 9999);
    m.upsert_into(m.index(), &[stale]).await.unwrap();
    let bob_before = m.document(&doc_id(cb, b1)).await.unwrap().unwrap();
    let n = m.reindex_workspace(&db, alice.workspace_id, |_, _| {}).await.unwrap();
    assert_eq!(n, 1);
    assert_eq!(m.document(&doc_id(ca, 9999)).await.unwrap(), None);
    assert!(m.document(&doc_id(ca, a1)).await.unwrap().unwrap().gen > bob_before.gen);
    assert_eq!(m.document(&doc_id(cb, b1)).await.unwrap().unwrap(), bob_before);
    let latest = app::search::meili::reindex::latest(&db, alice.workspace_id).await.unwrap();
    assert_eq!(latest, Some(("done".into(), 1, 1)));
    cleanup(&m).await;
}
