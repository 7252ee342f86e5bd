//! The authorization matrix's page routes: every page of the app, rendered
//! on the server for each kind of caller with a browser session (pages are
//! what a browser asks for; tokens do not open them). The table is the
//! "Page routes" section of docs/authorization.md.
//!
//! A cell is the answer's kind: `ok` (200), `login` (a redirect to the
//! sign-in page), `not_found` (404), `redirect <path>`, or `http_<status>`.
//! It fails when a cell differs from the table, when anyone but the member
//! receives a private marker in the HTML (the server renders the messages
//! into the page), or when a page changed any row of any table.

mod common;

use std::collections::HashMap;

use common::authz::{snapshot, world, CALLERS, MARKERS};
use common::{Srv, PASSWORD};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use sqlx::PgPool;

const TABLE: &str = include_str!("../../docs/authorization.md");

/// Tables a page view may touch: sessions record when they were last seen;
/// the words of the fixture's messages are folded into `search_term` by a
/// background job within a second (derived from `message`, which is compared).
const BOOKKEEPING: &[&str] =
    &["api_token", "ws_ticket", "auth_session", "search_term_pending", "search_term"];

fn rows() -> Vec<(String, HashMap<String, String>)> {
    let pages = TABLE.split("\n## Page routes").nth(1).expect("a Page routes section");
    let mut lines = pages.lines().filter(|l| l.starts_with('|'));
    let cells =
        |l: &str| l.trim().trim_matches('|').split(" | ").map(|c| c.trim().to_string()).collect::<Vec<_>>();
    let header = cells(lines.next().expect("the table's header"));
    lines
        .filter(|l| !l.starts_with("|--") && !l.starts_with("| --"))
        .map(|l| {
            let c = cells(l);
            let col = |name: &str| c[header.iter().position(|h| h == name).expect(name)].clone();
            let expect = CALLERS.iter().map(|k| (k.to_string(), col(k))).collect();
            (col("page").trim_matches('`').to_string(), expect)
        })
        .collect()
}

/// Signs `email` in; returns the session's `Cookie` header value.
async fn sign_in(srv: &Srv, email: &str) -> String {
    let res = reqwest::Client::new()
        .post(format!("{}/api/auth.login", srv.url))
        .header("origin", &srv.url)
        .json(&serde_json::json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "sign-in of {email}");
    let cookies: Vec<String> = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .collect();
    assert!(!cookies.is_empty(), "sign-in set no cookie");
    cookies.join("; ")
}

async fn email_of(db: &PgPool, account: uuid::Uuid) -> String {
    sqlx::query_scalar("select email from account where account_id = $1")
        .bind(account)
        .fetch_one(db)
        .await
        .unwrap()
}

/// What a page answered, as a table cell, and its body.
async fn view(srv: &Srv, path: &str, cookie: Option<&str>) -> (String, String) {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut req = client.get(format!("{}{path}", srv.url)).header("accept", "text/html");
    if let Some(c) = cookie {
        req = req.header(COOKIE, c);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let location = res.headers().get(LOCATION).map(|l| l.to_str().unwrap().to_string());
    let body = res.text().await.unwrap();
    let cell = match (status, location) {
        (200, _) => "ok".to_string(),
        (404, _) => "not_found".to_string(),
        (300..=399, Some(l)) if l.starts_with("/login") => "login".to_string(),
        (300..=399, Some(l)) => format!("redirect {l}"),
        (s, _) => format!("http_{s}"),
    };
    (cell, body)
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn every_page_answers_each_caller_as_the_table_says(db: PgPool) {
    let srv = Srv::start_with(db.clone(), |c| {
        c.login_limit_account = 1000;
        c.login_limit_ip = 1000;
    })
    .await;
    let w = world(&srv, 0).await;
    // Everyone can sign in; Dana signs in while still active, as her
    // session was made before she was deactivated.
    let hash = app::auth::passwords::hash_password(PASSWORD.into()).await.unwrap();
    sqlx::query("update account set password_hash = $1").bind(&hash).execute(&db).await.unwrap();
    let dana = w.actors["deactivated"].member_id;
    sqlx::query("update member set deactivated_at = null where member_id = $1")
        .bind(dana)
        .execute(&db)
        .await
        .unwrap();
    let mut cookies: HashMap<&str, Option<String>> = HashMap::from([("anon", None)]);
    for (caller, a) in w.actors.iter().filter(|(c, _)| !["revoked", "expired", "member"].contains(*c)) {
        cookies.insert(caller, Some(sign_in(&srv, &email_of(&db, a.account_id).await).await));
    }
    sqlx::query("update member set deactivated_at = now() where member_id = $1")
        .bind(dana)
        .execute(&db)
        .await
        .unwrap();
    // `revoked` is a session of Mia's that she ended from another one.
    let mia = &w.actors["member"];
    let mia_email = email_of(&db, mia.account_id).await;
    cookies.insert("revoked", Some(sign_in(&srv, &mia_email).await));
    let newest: uuid::Uuid = sqlx::query_scalar(
        "select auth_session_id from auth_session where member_id = $1 order by created_at desc limit 1",
    )
    .bind(mia.member_id)
    .fetch_one(&db)
    .await
    .unwrap();
    let ended = app::auth::actions::revoke_own_sessions(&common::ctx(&db), mia, Some(newest)).await.unwrap();
    assert_eq!(ended, 1);
    // `expired` is a session of Mia's whose time ran out (14 days idle):
    // its cookie names a stored session past its expiry date.
    cookies.insert("expired", Some(sign_in(&srv, &mia_email).await));
    let expired = sqlx::query(
        "update tower_sessions.tower_session set expiry_date = now() - interval '1 minute'
         where id = (select id from tower_sessions.tower_session order by expiry_date desc limit 1)",
    )
    .execute(&db)
    .await
    .unwrap();
    assert_eq!(expired.rows_affected(), 1);
    cookies.insert("member", Some(sign_in(&srv, &mia_email).await));

    let (mut problems, mut cells) = (Vec::new(), 0);
    let mut before = snapshot(&db, BOOKKEEPING).await;
    for (page, expect) in rows() {
        let path = w.fill(&page, "x");
        let mut observed = Vec::new();
        for caller in CALLERS {
            let (got, body) = view(&srv, &path, cookies[caller].as_deref()).await;
            cells += 1;
            if got != expect[caller] {
                problems.push(format!("{page} as {caller}: expected {}, got {got}", expect[caller]));
            }
            if caller != "member" {
                let lower = body.to_lowercase();
                if let Some(m) = MARKERS.iter().find(|m| lower.contains(*m)) {
                    problems.push(format!("{page} as {caller}: LEAK of {m}"));
                }
            }
            let after = snapshot(&db, BOOKKEEPING).await;
            let changed: Vec<&String> = after.keys().filter(|t| before.get(*t) != after.get(*t)).collect();
            if !changed.is_empty() {
                problems.push(format!("{page} as {caller}: a page view wrote to {changed:?}"));
            }
            before = after;
            observed.push(got);
        }
        if observed.iter().zip(CALLERS).any(|(o, c)| &expect[c] != o) {
            problems.push(format!("observed: | `{page}` | {} |", observed.join(" | ")));
        }
    }
    assert!(problems.is_empty(), "{} problems in {cells} cells:\n{}", problems.len(), problems.join("\n"));
    assert!(cells >= 9 * 20, "the page matrix ran only {cells} cells");
}
