//! Offboarding locks a person out at once: a member with a browser session,
//! an API token and two sockets on two nodes (sharing Redis) is
//! deactivated; both sockets close with 4001 within a second, the session
//! and the token stop working, sign-in is refused, and their messages stay,
//! marked. Reactivation restores sign-in but not what was revoked. Signing
//! out, or revoking one token, closes only the sockets opened with it.
//! Needs Redis at `REDIS_URL` (default redis://127.0.0.1:6379).

mod common;

use std::time::{Duration, Instant};

use app::auth::Role;
use common::ws::{general, post, send, token, until_close, Ws};
use common::{assert_error, owner, Srv, PASSWORD};
use reqwest::Client;
use serde_json::json;
use sqlx::PgPool;

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Bob joins through an invite (so he has a password) and signs in with a
/// browser-like client on `srv`; returns the client and a token of his.
async fn bob(db: &PgPool, srv: &Srv, alice: &app::auth::Actor) -> (Client, String) {
    let ctx = app::core::ctx::Ctx::offline(db.clone());
    let inv = app::invites::actions::create(db, alice, Role::Member, 24, 1).await.unwrap();
    let input = app::invites::actions::AcceptInput {
        token: inv.token,
        email: "bob@x.io".into(),
        password: PASSWORD.into(),
        display_name: "Bob".into(),
    };
    let limiter = app::ratelimit::Limits::local(1000, 1000);
    let actor = app::invites::actions::accept(&ctx, &limiter, None, input).await.unwrap();
    let browser = common::client();
    let (s, b) =
        srv.call_with(&browser, "auth.login", json!({"email": "bob@x.io", "password": PASSWORD})).await;
    assert_eq!(s, 200, "{b}");
    (browser, token(db, &actor).await)
}

/// A socket opened with the browser's session (its ticket carries it).
async fn session_socket(srv: &Srv, browser: &Client) -> Ws {
    let (s, b) = srv.call_with(browser, "rtm.connect", json!({})).await;
    assert_eq!(s, 200, "{b}");
    let (mut ws, _) = tokio_tungstenite::connect_async(b["url"].as_str().unwrap()).await.unwrap();
    send(&mut ws, json!({"type": "resume"})).await;
    ws
}

async fn token_socket(srv: &Srv, tok: &str) -> Ws {
    let mut ws = common::ws::open(srv, tok).await;
    send(&mut ws, json!({"type": "resume"})).await;
    ws
}

/// Waits for the close; returns its code and how long after `since` it came.
async fn closed(ws: &mut Ws, since: Instant) -> (Option<u16>, Duration) {
    let (_, code) = until_close(ws).await;
    (code, since.elapsed())
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn deactivation_closes_every_socket_on_every_node_and_locks_the_door(db: PgPool) {
    let a = Srv::start_with(db.clone(), |c| c.redis_url = Some(redis_url())).await;
    let b = Srv::start_with(db.clone(), |c| c.redis_url = Some(redis_url())).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let ta = token(&db, &alice).await;
    let (browser, tb) = bob(&db, &a, &alice).await;
    let g = general(&db, &alice).await;
    let said = post(&a, &tb, &g, "handing over my notes").await;
    let mut on_a = session_socket(&a, &browser).await;
    let mut on_b = token_socket(&b, &tb).await;
    common::ws::next_of(&mut on_a, "resumed").await;
    common::ws::next_of(&mut on_b, "resumed").await;
    let bob_id: String = sqlx::query_scalar("select member_id::text from member where display_name = 'Bob'")
        .fetch_one(&db)
        .await
        .unwrap();

    let t0 = Instant::now();
    let (s, body) = a.call_bearer(&ta, "admin.users.deactivate", json!({"user": bob_id})).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!((body["sessions"].as_u64(), body["tokens"].as_u64()), (Some(1), Some(1)), "{body}");
    let (code_a, took_a) = closed(&mut on_a, t0).await;
    let (code_b, took_b) = closed(&mut on_b, t0).await;
    println!("sockets closed {took_a:?} (same node) and {took_b:?} (other node) after the call began");
    assert_eq!((code_a, code_b), (Some(4001), Some(4001)));
    assert!(took_a < Duration::from_secs(1) && took_b < Duration::from_secs(1), "{took_a:?} {took_b:?}");

    // The session, the token and the door are closed; the words stay, marked.
    assert_error(&a.call_with(&browser, "auth.test", json!({})).await, 401, "not_authed");
    assert_error(&b.call_bearer(&tb, "auth.test", json!({})).await, 401, "invalid_auth");
    let login = json!({"email": "bob@x.io", "password": PASSWORD});
    assert_error(
        &a.call_with(&common::client(), "auth.login", login.clone()).await,
        404,
        "workspace_not_found",
    );
    let (_, h) = a.call_bearer(&ta, "conversations.history", json!({"channel": g})).await;
    let kept = h["messages"].as_array().unwrap().iter().find(|m| m["seq"] == said["seq"]).expect("kept");
    assert_eq!(
        (kept["text"].as_str(), kept["user_deactivated"].as_bool()),
        (Some("handing over my notes"), Some(true))
    );

    // Back again: sign-in works, the old token does not.
    let (s, r) = a.call_bearer(&ta, "admin.users.reactivate", json!({"user": bob_id})).await;
    assert_eq!(s, 200, "{r}");
    let again = common::client();
    assert_eq!(a.call_with(&again, "auth.login", login).await.0, 200);
    assert_eq!(a.call_with(&again, "auth.test", json!({})).await.0, 200);
    assert_error(&a.call_bearer(&tb, "auth.test", json!({})).await, 401, "invalid_auth");
    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_log where action like 'member.%' or action = 'auth.signed_in' order by audit_log_id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(actions, ["auth.signed_in", "member.deactivated", "member.reactivated", "auth.signed_in"]);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn signing_out_or_revoking_a_token_closes_only_its_own_sockets(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let (browser, tb) = bob(&db, &srv, &alice).await;
    let mut by_session = session_socket(&srv, &browser).await;
    let mut by_token = token_socket(&srv, &tb).await;
    common::ws::next_of(&mut by_session, "resumed").await;
    common::ws::next_of(&mut by_token, "resumed").await;

    let (_, list) = srv.call_bearer(&tb, "tokens.list", json!({})).await;
    let id = list["tokens"][0]["id"].clone();
    let (s, r) = srv.call_bearer(&tb, "tokens.revoke", json!({"token": id})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(closed(&mut by_token, Instant::now()).await.0, Some(4001));
    // The session's socket is still live: a ping gets its pong.
    send(&mut by_session, json!({"type": "ping", "id": 7})).await;
    assert_eq!(common::ws::next_of(&mut by_session, "pong").await["id"], 7);

    let (s, r) = srv.call_with(&browser, "auth.logout", json!({})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(closed(&mut by_session, Instant::now()).await.0, Some(4001));
    assert_error(&srv.call_with(&browser, "auth.test", json!({})).await, 401, "not_authed");
}
