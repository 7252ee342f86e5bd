//! A hostile member against the HTTP surface: sign-up is no password
//! oracle, a token cannot mint tokens, budgets per member hold (across
//! nodes through Redis), and every response carries the security headers.

mod common;

use app::auth::Role;
use common::ws::{general, token};
use common::{assert_error, client, count, member, owner, Srv, PASSWORD};
use serde_json::json;
use sqlx::PgPool;

fn signup_body(email: &str, password: &str, workspace: &str) -> serde_json::Value {
    json!({"workspace_name": workspace, "email": email, "password": password, "display_name": "Mallory"})
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn signup_with_an_existing_email_checks_nothing_and_mails_the_owner(db: PgPool) {
    let s = Srv::start(db.clone()).await;
    owner(&db, "alice@x.io", "Acme").await;
    // Even the right password signs nobody in: the answer is "check your email".
    for password in [PASSWORD, "a wrong guess!!"] {
        let browser = client();
        let (st, body) =
            s.call_with(&browser, "auth.signup", signup_body("Alice@X.io", password, "Evil")).await;
        assert_eq!(st, 200, "{body}");
        assert_eq!(body["check_email"], true, "{body}");
        assert!(body.get("user_id").is_none(), "{body}");
        assert_error(&s.call_with(&browser, "auth.test", json!({})).await, 401, "not_authed");
    }
    assert_eq!(count(&db, "workspace").await, 1, "no workspace was created");
    let mailed: i64 = sqlx::query_scalar(
        "select count(*) from mail_outbox where to_email = 'alice@x.io' and kind = 'signup_existing'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(mailed, 2);
    // Guessing on is limited like logins (5 a minute per account in tests).
    let mut limited = 0;
    for _ in 0..40 {
        let (st, body) =
            s.call_with(&client(), "auth.signup", signup_body("alice@x.io", "guess guess 1", "E")).await;
        if st == 429 {
            assert_eq!(body["error"], "rate_limited", "{body}");
            limited += 1;
        }
    }
    assert!(limited >= 35, "only {limited} of 40 guesses were limited");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_signed_in_account_creates_another_workspace(db: PgPool) {
    let s = Srv::start(db.clone()).await;
    let first = s.signup("alice@x.io", "Acme").await;
    let (st, second) = s.call("auth.signup", signup_body("alice@x.io", PASSWORD, "Beta")).await;
    assert_eq!(st, 200, "{second}");
    assert_eq!(second["check_email"], false);
    assert_ne!(second["workspace_id"], first["workspace_id"]);
    assert_eq!(count(&db, "account").await, 1);
    let (_, me) = s.call("auth.test", json!({})).await;
    assert_eq!(me["workspace_id"], second["workspace_id"], "signed in to the new workspace");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_token_cannot_create_tokens(db: PgPool) {
    let s = Srv::start(db.clone()).await;
    s.signup("alice@x.io", "Acme").await;
    let (st, created) = s.call("tokens.create", json!({"label": "bot"})).await;
    assert_eq!(st, 200, "{created}");
    let t = created["token"].as_str().unwrap();
    assert_error(&s.call_bearer(t, "tokens.create", json!({"label": "more"})).await, 403, "session_only");
    assert_eq!(count(&db, "api_token").await, 1);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn announcements_and_writes_take_from_each_members_budget(db: PgPool) {
    let s = Srv::start_with(db.clone(), |c| c.rate_limit_scale = 1.0).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let (ta, tb) = (token(&db, &alice).await, token(&db, &bob).await);
    let g = general(&db, &alice).await;
    // Announcements: a burst of 10, then `rate_limited` with when to retry.
    for i in 0..10 {
        let (st, b) = s
            .call_bearer(&ta, "conversations.setTopic", json!({"channel": g, "topic": format!("t{i}")}))
            .await;
        assert_eq!(st, 200, "{b}");
    }
    let refused = s.call_bearer(&ta, "conversations.setTopic", json!({"channel": g, "topic": "flood"})).await;
    assert_error(&refused, 429, "rate_limited");
    assert!(refused.1["retry_after"].as_u64().is_some_and(|r| r >= 1), "{}", refused.1);
    let topic: String = sqlx::query_scalar("select topic from channel where channel_id = $1::uuid")
        .bind(&g)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(topic, "t9", "the refused change was not applied");
    // Bob's budget is his own.
    let (st, b) = s.call_bearer(&tb, "conversations.setTopic", json!({"channel": g, "topic": "bob's"})).await;
    assert_eq!(st, 200, "{b}");
    // Writes: a burst of 60 messages (plus one per 200 ms of the loop), then
    // refusals that store nothing.
    let mut sent = 0;
    for i in 0..100 {
        let (st, _) =
            s.call_bearer(&ta, "chat.postMessage", json!({"channel": g, "text": format!("m{i}")})).await;
        if st == 200 {
            sent += 1;
        } else {
            assert_eq!(st, 429);
        }
    }
    assert!((60..90).contains(&sent), "{sent} of 100 were accepted");
    let stored: i64 = sqlx::query_scalar("select count(*) from message where member_id = $1")
        .bind(alice.member_id)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(stored, sent);
    // Reads take no budget.
    let (st, _) = s.call_bearer(&ta, "conversations.history", json!({"channel": g})).await;
    assert_eq!(st, 200);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_budget_holds_across_nodes_through_redis(db: PgPool) {
    let redis = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let tweak = |c: &mut server::Config| {
        c.rate_limit_scale = 1.0;
        c.redis_url = Some(redis.clone());
    };
    let a = Srv::start_with(db.clone(), tweak).await;
    let b = Srv::start_with(db.clone(), tweak).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let ta = token(&db, &alice).await;
    let g = general(&db, &alice).await;
    async fn set(srv: &Srv, token: &str, channel: &str, i: usize) -> u16 {
        let body = json!({"channel": channel, "topic": format!("t{i}")});
        srv.call_bearer(token, "conversations.setTopic", body).await.0.as_u16()
    }
    // 5 on each node fill the one budget of 10; the 11th is refused on either.
    for i in 0..5 {
        assert_eq!(set(&a, &ta, &g, i).await, 200);
        assert_eq!(set(&b, &ta, &g, i).await, 200);
    }
    assert_eq!(set(&a, &ta, &g, 10).await, 429);
    assert_eq!(set(&b, &ta, &g, 11).await, 429);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn every_response_carries_the_security_headers(db: PgPool) {
    let s = Srv::start_with(db.clone(), |c| c.public_url = "https://chat.example.com".into()).await;
    for path in ["/login", "/api/auth.test", "/healthz", "/no-such-page"] {
        let res = client().get(format!("{}{path}", s.url)).send().await.unwrap();
        let h = res.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert!(h["strict-transport-security"].to_str().unwrap().contains("max-age="), "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    }
    // A page's scripts run only with this response's nonce.
    let res = client().get(format!("{}/login", s.url)).send().await.unwrap();
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_string();
    let script_src = csp.split(';').find(|d| d.trim_start().starts_with("script-src")).unwrap().to_string();
    assert!(!script_src.contains("unsafe-inline"), "{csp}");
    let nonce =
        script_src.split("'nonce-").nth(1).and_then(|r| r.split('\'').next()).expect("a nonce").to_string();
    let html = res.text().await.unwrap();
    let scripts = html.matches("<script").count();
    assert!(scripts >= 2, "{html}");
    assert_eq!(
        html.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "every script carries the nonce: {html}"
    );
    // Over plain http there is no HSTS.
    let plain = Srv::start(db).await;
    let res = client().get(format!("{}/login", plain.url)).send().await.unwrap();
    assert!(res.headers().get("strict-transport-security").is_none());
}
