//! A Meilisearch for tests: the shared test server that scripts/test starts
//! (its address in `THREADSPACE_TEST_MEILI_URL` and `THREADSPACE_TEST_MEILI_KEY`,
//! read here only), with an index of each test's own, so tests run in
//! parallel without sharing documents. The server under test never reads
//! the environment: a test passes its Meilisearch in the config.

use app::messages::actions::{send, SendInput};
use app::search::meili::Meili;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::files::eventually;
use super::Srv;

/// The test server's address and key, if the test command started one.
pub fn server() -> Option<(String, Option<String>)> {
    let url = std::env::var("THREADSPACE_TEST_MEILI_URL").ok().filter(|u| !u.is_empty())?;
    Some((url, std::env::var("THREADSPACE_TEST_MEILI_KEY").ok().filter(|k| !k.is_empty())))
}

/// A client of the test server on a fresh index, or `None` (and a SKIPPED
/// line, which scripts/test shows) when there is no server.
pub fn fresh(test: &str) -> Option<Meili> {
    let Some((url, key)) = server() else {
        println!("SKIPPED {test}: no Meilisearch test server (THREADSPACE_TEST_MEILI_URL), so the Meilisearch backend was not tested");
        return None;
    };
    let index = format!("t_{}", uuid::Uuid::new_v4().simple());
    Some(Meili::new(&url, key.as_deref(), &index).unwrap())
}

/// Points a server config at `m`'s server and index.
pub fn configure(cfg: &mut server::Config, m: &Meili) {
    let (url, key) = server().expect("a Meilisearch test server");
    cfg.meili_url = Some(url);
    cfg.meili_key = key;
    cfg.meili_index = m.index().into();
}

/// Deletes the test's index and its rebuild index.
pub async fn cleanup(m: &Meili) {
    m.drop_index(m.index()).await.unwrap();
    m.drop_index(&format!("{}__rebuild", m.index())).await.unwrap();
}

/// A Meilisearch that never answers.
pub fn dead() -> Meili {
    Meili::new("http://127.0.0.1:9", None, "messages").unwrap()
}

/// `search.messages` through the API; asserts a 200.
pub async fn search(srv: &Srv, token: &str, q: &str) -> serde_json::Value {
    let (s, b) = srv.call_bearer(token, "search.messages", json!({"query": q})).await;
    assert_eq!(s, 200, "{b}");
    b
}

/// Sends `text` to `c` as `who`; its seq.
pub async fn say(db: &app::core::ctx::Ctx, who: &app::auth::Actor, c: Uuid, text: &str) -> i64 {
    send(db, who, SendInput { channel: c, text: text.into(), ..Default::default() }).await.unwrap().seq
}

/// The seqs Meilisearch returns for `q` in `c` (hits checked against Postgres).
pub async fn meili_seqs(m: &Meili, db: &PgPool, ws: Uuid, c: Uuid, q: &str) -> Vec<i64> {
    let q = app::search::query::parse(q).unwrap();
    m.search(db, ws, &[c], None, &q, Default::default(), 0, 1000)
        .await
        .unwrap()
        .1
        .iter()
        .map(|h| h.seq)
        .collect()
}

/// Reindexes `m`, starts a node on it and waits until the node answers
/// `word` from Meilisearch; the node and `who`'s token.
pub async fn serving(
    db: &app::core::ctx::Ctx,
    m: &Meili,
    who: &app::auth::Actor,
    word: &str,
) -> (Srv, String) {
    m.reindex(db, |_, _| {}).await.unwrap();
    let srv = Srv::start_with(db.db.clone(), |cfg| configure(cfg, m)).await;
    let t = super::ws::token(db, who).await;
    eventually("the node to use meilisearch", || async {
        search(&srv, &t, word).await["backend"] == "meilisearch"
    })
    .await;
    (srv, t)
}

/// Calls the test server's own HTTP API (tasks, settings); its JSON answer.
pub async fn raw(method: reqwest::Method, path: &str, body: Option<serde_json::Value>) -> serde_json::Value {
    let (url, key) = server().expect("a Meilisearch test server");
    let mut req = super::client().request(method, format!("{url}{path}"));
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    assert!(res.status().is_success(), "{path}: {}", res.status());
    res.json().await.unwrap()
}

/// How many settings updates Meilisearch has queued or run on `m`'s index.
pub async fn settings_updates(m: &Meili) -> usize {
    let path = format!("/tasks?indexUids={}&types=settingsUpdate&limit=1000", m.index());
    raw(reqwest::Method::GET, &path, None).await["results"].as_array().unwrap().len()
}
