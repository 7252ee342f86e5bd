//! The authorization matrix: every API method, file URL and WebSocket
//! frame, called as each kind of caller (docs/authorization.md has the table, one row per method,
//! one column per caller, and is the only place the expectations live).
//!
//! Each row runs in a fresh world (common/authz.rs). A cell fails when
//! - the answer's code differs from the table's (`ok` or an error code);
//! - any caller but the member of the private channel receives one of the
//!   private markers (the secret message, the file's name, the DM);
//! - a refused call changed any row of any table.
//!
//! The test also fails when a method exists that the table does not list,
//! or the table lists one that does not exist. All mismatches are reported
//! together, with the observed row, so the table is easy to correct.

mod common;

use std::collections::HashMap;

use common::authz::{snapshot, world, World, CALLERS, MARKERS};
use common::files::{form, png};
use common::Srv;
use reqwest::multipart::{Form, Part};
use sqlx::PgPool;

const TABLE: &str = include_str!("../../docs/authorization.md");

/// Tables a refused call may touch: when a token was last used (every
/// authenticated request records it, refused or not), socket tickets (a
/// frame row connects before its frame is refused), and the words of earlier
/// messages, which a background job folds into `search_term` within a second
/// (`search::postgres::terms`; derived from `message`, which is compared).
const BOOKKEEPING: &[&str] = &["api_token", "ws_ticket", "search_term_pending", "search_term"];

struct Row {
    method: String,
    args: String,
    expect: HashMap<String, String>,
}

fn rows() -> Vec<Row> {
    // The page routes' table (authz_pages.rs) follows the API's.
    let api = TABLE.split("\n## Page routes").next().unwrap();
    let mut lines = api.lines().filter(|l| l.starts_with('|'));
    let cells =
        |l: &str| l.trim().trim_matches('|').split(" | ").map(|c| c.trim().to_string()).collect::<Vec<_>>();
    let header = cells(lines.next().expect("the table's header"));
    lines
        .filter(|l| !l.starts_with("|--") && !l.starts_with("| --"))
        .map(|l| {
            let c = cells(l);
            let col = |name: &str| {
                c[header.iter().position(|h| h == name).unwrap_or_else(|| panic!("column {name}"))].clone()
            };
            Row {
                method: col("method").trim_matches('`').to_string(),
                args: col("args").trim_matches('`').to_string(),
                expect: CALLERS.iter().map(|k| (k.to_string(), col(k))).collect(),
            }
        })
        .collect()
}

/// Calls `row` as `caller`; returns the outcome (`ok` or the error code,
/// `http_<status>` when the answer is not the JSON envelope) and the body.
async fn call(srv: &Srv, w: &World, row: &Row, caller: &str) -> (String, String) {
    let token = w.tokens[caller].clone();
    let args = w.fill(&row.args, caller);
    if row.method.starts_with("WS ") {
        return ws_call(srv, token, &args).await;
    }
    let client = reqwest::Client::new();
    let req = if let Some(path) = row.method.strip_prefix("GET ") {
        client.get(format!("{}{}", srv.url, w.fill(path, caller)))
    } else {
        let url = format!("{}/api/{}", srv.url, row.method);
        match row.method.as_str() {
            "files.upload" => client
                .post(url)
                .multipart(form(&[("channel", &args)], vec![("probe.txt", b"probe".to_vec())])),
            "admin.import.upload" => client.post(url).multipart(
                Form::new().part("file", Part::bytes(common::authz::tiny_export()).file_name("slack.zip")),
            ),
            "users.setPhoto" | "admin.settings.setIcon" => client
                .post(url)
                .multipart(Form::new().part("image", Part::bytes(png(64, 64)).file_name("p.png"))),
            _ => client.post(url).header("content-type", "application/json").body(args),
        }
    };
    let req = match token {
        Some(t) => req.bearer_auth(t),
        None => req,
    };
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let body = res.text().await.unwrap();
    let outcome = match serde_json::from_str::<serde_json::Value>(&body) {
        Ok(v) if v["ok"] == true && status == 200 => "ok".to_string(),
        Ok(v) if v["error"].is_string() => v["error"].as_str().unwrap().to_string(),
        _ if status == 200 && row.method.starts_with("GET ") => "ok".to_string(),
        _ => format!("http_{status}"),
    };
    (outcome, body)
}

/// A WebSocket frame row: `rtm.connect` with the caller's token (its error
/// code when refused), `resume` with nothing held (unless the frame is a
/// `resume`), the frame, then a ping as a barrier: the server answers frames
/// in order, so everything the frame caused arrives before the pong. The
/// outcome is the first `error` frame's code, else `ok`; the body is every
/// frame received, for the marker check.
async fn ws_call(srv: &Srv, token: Option<String>, frame: &str) -> (String, String) {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let mut req = reqwest::Client::new()
        .post(format!("{}/api/rtm.connect", srv.url))
        .header("content-type", "application/json")
        .body("{}");
    if let Some(t) = &token {
        req = req.bearer_auth(t);
    }
    let v: serde_json::Value = req.send().await.unwrap().json().await.unwrap();
    let Some(url) = v["url"].as_str() else {
        return (v["error"].as_str().unwrap_or("http_error").to_string(), v.to_string());
    };
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    if !frame.contains(r#""resume""#) {
        ws.send(Message::text(r#"{"type":"resume","channels":{}}"#)).await.unwrap();
    }
    ws.send(Message::text(frame.to_string())).await.unwrap();
    ws.send(Message::text(r#"{"type":"ping","id":424242}"#)).await.unwrap();
    let (mut outcome, mut frames) = ("ok".to_string(), Vec::new());
    loop {
        let next = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next()).await;
        let Ok(Some(Ok(msg))) = next else { return ("socket_ended".into(), frames.join("\n")) };
        let Message::Text(t) = msg else { continue };
        let v: serde_json::Value = serde_json::from_str(&t).unwrap();
        if v["type"] == "error" && outcome == "ok" {
            outcome = v["code"].as_str().unwrap_or("error").to_string();
        }
        frames.push(t.to_string());
        if v["type"] == "pong" && v["id"] == 424242 {
            return (outcome, frames.join("\n"));
        }
    }
}

/// A snapshot once the tables stop changing (background jobs done).
async fn settled(db: &PgPool, mut last: HashMap<String, String>) -> HashMap<String, String> {
    for _ in 0..100 {
        let now = snapshot(db, BOOKKEEPING).await;
        if now == last {
            return now;
        }
        last = now;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the tables kept changing for 5 s");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn every_method_answers_each_caller_as_the_table_says(db: PgPool) {
    // Every row signs Mia in once per caller: above the per-account limit of
    // password checks, which hostile_http.rs tests.
    let srv = Srv::start_with(db.clone(), |c| c.login_limit_account = 1000).await;
    let rows = rows();
    let listed: Vec<&str> =
        rows.iter().filter(|r| r.method.starts_with(char::is_lowercase)).map(|r| r.method.as_str()).collect();
    let mut problems = Vec::new();
    for m in server::api_gateway::methods() {
        if !listed.contains(&m.as_str()) {
            problems.push(format!("{m}: an API method the table does not list"));
        }
    }
    for m in &listed {
        if !server::api_gateway::methods().iter().any(|k| k == m) {
            problems.push(format!("{m}: in the table but not an API method"));
        }
    }
    let mut cells = 0;
    for (n, row) in rows.iter().enumerate() {
        let w = world(&srv, n).await;
        let mut before = snapshot(&db, BOOKKEEPING).await;
        let mut observed = Vec::new();
        for caller in CALLERS {
            if row.expect[caller] != "ok" {
                // What an earlier caller's call started (an export, a
                // retention run) finishes before a refused call is watched.
                before = settled(&db, before).await;
            }
            let (got, body) = call(&srv, &w, row, caller).await;
            cells += 1;
            let after = snapshot(&db, BOOKKEEPING).await;
            let want = &row.expect[caller];
            if &got != want {
                problems.push(format!("{} as {caller}: expected {want}, got {got}: {body:.300}", row.method));
            }
            if caller != "member" {
                let lower = body.to_lowercase();
                if let Some(m) = MARKERS.iter().find(|m| lower.contains(*m)) {
                    problems.push(format!("{} as {caller}: LEAK of {m}: {body:.300}", row.method));
                }
            }
            if got != "ok" {
                let changed: Vec<&String> =
                    after.keys().filter(|t| before.get(*t) != after.get(*t)).collect();
                if !changed.is_empty() {
                    problems.push(format!(
                        "{} as {caller}: refused ({got}) but wrote to {changed:?}",
                        row.method
                    ));
                }
            }
            before = after;
            observed.push(got);
        }
        if observed.iter().zip(CALLERS).any(|(o, c)| &row.expect[c] != o) {
            problems.push(format!("observed: | {} | {} |", row.method, observed.join(" | ")));
        }
    }
    assert!(problems.is_empty(), "{} problems in {cells} cells:\n{}", problems.len(), problems.join("\n"));
    assert!(cells >= 8 * 80, "the matrix ran only {cells} cells");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_guest_sees_only_the_people_who_share_a_channel(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let w = world(&srv, 0).await;
    let guest = w.tokens["guest"].clone().unwrap();
    let names = |b: &serde_json::Value| {
        let mut n: Vec<String> = b["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap().to_string())
            .collect();
        n.sort();
        n
    };
    // Gus is only in #guests, with Owen (who made it); the others are strangers to him.
    let (s, b) = srv.call_bearer(&guest, "users.list", serde_json::json!({})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(names(&b), ["Gus", "owen0"], "{b}");
    let (_, b) = srv.call_bearer(&guest, "users.list", serde_json::json!({"query": "mia"})).await;
    assert!(names(&b).is_empty(), "{b}");
    let (_, b) =
        srv.call_bearer(&guest, "users.presence", serde_json::json!({"users": [w.vars["mia"]]})).await;
    assert!(!b.to_string().contains(&w.vars["mia"]), "{b}");
    // A member sees everyone.
    let member = w.tokens["member"].clone().unwrap();
    let (_, b) = srv.call_bearer(&member, "users.list", serde_json::json!({})).await;
    assert_eq!(names(&b).len(), 5, "Owen, Ada, Mia, Noel and Gus (Dana is deactivated): {b}");
}
