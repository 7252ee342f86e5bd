//! The Web API over real HTTP: envelope, statuses, bearer tokens, the Origin
//! check and the login rate limit, against the real router on port 0.

mod common;

use common::{assert_error, client, Srv, PASSWORD};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn signup_test_logout_round_trip_uses_the_envelope(db: PgPool) {
    let s = Srv::start(db).await;
    let body = s.signup("alice@x.io", "Acme").await;
    assert_eq!(body["ok"], true);
    let (st, me) = s.call("auth.test", json!({})).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(me["user_id"], body["user_id"]);
    assert_eq!(me["workspace_id"], body["workspace_id"]);
    assert_eq!(me["role"], "owner");
    assert_eq!(me["workspace_name"], "Acme");
    let (st, out) = s.call("auth.logout", json!({})).await;
    assert_eq!((st, out), (StatusCode::OK, json!({"ok": true})));
    assert_error(&s.call("auth.test", json!({})).await, 401, "not_authed");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn malformed_requests_get_the_right_status_and_code(db: PgPool) {
    let s = Srv::start(db).await;
    let raw = |path: &str, body: &'static str| {
        s.client
            .post(format!("{}/api/{path}", s.url))
            .header("origin", &s.url)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let res = raw("auth.signup", "{not json").await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["error"], "invalid_json");
    let res = raw("auth.signup", r#"{"email": "a@x.io"}"#).await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["error"], "invalid_arguments");
    let res = raw("no.such", "{}").await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["error"], "unknown_method");
    let res = s.client.get(format!("{}/api/auth.test", s.url)).send().await.unwrap();
    assert_eq!(res.status(), 405);
    let big = "x".repeat(2 * 1024 * 1024);
    let res = s
        .client
        .post(format!("{}/api/auth.login", s.url))
        .header("origin", &s.url)
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["error"], "request_too_large");

    assert_error(
        &s.call(
            "auth.signup",
            json!({"workspace_name": "A", "email": "a@x.io", "password": "short", "display_name": "A"}),
        )
        .await,
        400,
        "weak_password",
    );
    assert_eq!(common::count(&s.db, "account").await, 0);
    s.signup("alice@x.io", "Acme").await;
    // An existing email is not a password oracle: "check your email", no session.
    let dup = s.call_with(&client(), "auth.signup", json!({"workspace_name": "B", "email": "alice@x.io", "password": "another password", "display_name": "A"})).await;
    assert_eq!(dup.0, 200, "{}", dup.1);
    assert_eq!(dup.1["check_email"], true);
    assert_eq!(common::count(&s.db, "workspace").await, 1);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn bearer_tokens_work_without_cookies_until_revoked(db: PgPool) {
    let s = Srv::start(db).await;
    s.signup("alice@x.io", "Acme").await;
    let (st, created) = s.call("tokens.create", json!({"label": "bot", "expires_in_days": 30})).await;
    assert_eq!(st, 200, "{created}");
    let token = created["token"].as_str().unwrap().to_string();
    let (st, me) = s.call_bearer(&token, "auth.test", json!({})).await;
    assert_eq!(st, 200);
    assert_eq!(me["workspace_name"], "Acme");
    let (st, users) = s.call_bearer(&token, "users.list", json!({})).await;
    assert_eq!(st, 200);
    assert_eq!(users["members"].as_array().unwrap().len(), 1);
    let (_, listed) = s.call("tokens.list", json!({})).await;
    assert!(listed.to_string().find(&token).is_none(), "the secret must never be listed");

    let bad = s.call_bearer("tsp_nope", "auth.test", json!({})).await;
    assert_error(&bad, 401, "invalid_auth");
    s.call("tokens.revoke", json!({"token": created["info"]["id"]})).await;
    assert_error(&s.call_bearer(&token, "auth.test", json!({})).await, 401, "invalid_auth");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn cookie_mutations_must_come_from_our_origin(db: PgPool) {
    let s = Srv::start(db).await;
    s.signup("alice@x.io", "Acme").await;
    let url = format!("{}/api/tokens.create", s.url);
    let body = json!({"label": "x"});
    let evil = s.client.post(&url).header("origin", "https://evil.example").json(&body).send().await.unwrap();
    assert_eq!(evil.status(), 403);
    assert_eq!(evil.json::<serde_json::Value>().await.unwrap()["error"], "bad_origin");
    let none = s.client.post(&url).json(&body).send().await.unwrap();
    assert_eq!(none.status(), 403);
    let referer = s
        .client
        .post(&url)
        .header("referer", format!("{}/settings/tokens", s.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(referer.status(), 200);
    // Under `Referrer-Policy: no-referrer` a form posts `Origin: null`; the
    // browser's Sec-Fetch-Site then decides.
    let post = |site: &'static str| {
        s.client.post(&url).header("origin", "null").header("sec-fetch-site", site).json(&body).send()
    };
    assert_eq!(post("same-origin").await.unwrap().status(), 200);
    assert_eq!(post("cross-site").await.unwrap().status(), 403);
    assert_eq!(post("same-site").await.unwrap().status(), 403);
    // Login CSRF: a foreign origin cannot log a browser in either.
    let login = client()
        .post(format!("{}/api/auth.login", s.url))
        .header("origin", "https://evil.example")
        .json(&json!({"email": "alice@x.io", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 403);
    assert_eq!(common::count(&s.db, "api_token").await, 2);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn login_rate_limit_says_when_to_retry(db: PgPool) {
    let s = Srv::start(db).await;
    s.signup("alice@x.io", "Acme").await;
    let c = client();
    for _ in 0..5 {
        let r =
            s.call_with(&c, "auth.login", json!({"email": "alice@x.io", "password": "wrong password"})).await;
        assert_error(&r, 401, "invalid_credentials");
    }
    let res = c
        .post(format!("{}/api/auth.login", s.url))
        .header("origin", &s.url)
        .json(&json!({"email": "alice@x.io", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited");
    assert_eq!(body["retry_after"], retry);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn roles_and_workspaces_are_enforced_over_http(db: PgPool) {
    let s = Srv::start(db).await;
    s.signup("alice@x.io", "Acme").await;
    let (st, inv) =
        s.call("invites.create", json!({"role": "member", "expires_in_hours": 24, "max_uses": 2})).await;
    assert_eq!(st, 200, "{inv}");
    let url = inv["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/invite/tsi_", s.url)));
    let token = url.rsplit('/').next().unwrap();

    let bob = client();
    let (st, info) = s.call_with(&bob, "invites.info", json!({"token": token})).await;
    assert_eq!((st.as_u16(), info["invite"]["workspace_name"].as_str()), (200, Some("Acme")));
    let (st, joined) = s
        .call_with(
            &bob,
            "invites.accept",
            json!({"token": token, "email": "bob@x.io", "password": PASSWORD, "display_name": "Bob"}),
        )
        .await;
    assert_eq!(st, 200, "{joined}");
    assert_error(
        &s.call_with(
            &bob,
            "invites.create",
            json!({"role": "member", "expires_in_hours": 24, "max_uses": 1}),
        )
        .await,
        403,
        "forbidden",
    );
    let (_, dir) = s.call_with(&bob, "users.list", json!({"limit": 10})).await;
    let names: Vec<_> =
        dir["members"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["alice", "Bob"]);

    let zed = client();
    let other = s
        .call_with(
            &zed,
            "auth.signup",
            json!({"workspace_name": "Z", "email": "zed@x.io", "password": PASSWORD, "display_name": "Zed"}),
        )
        .await;
    assert_error(&s.call("users.info", json!({"user": other.1["user_id"]})).await, 404, "user_not_found");
    assert_error(
        &s.call("workspaces.switch", json!({"workspace": other.1["workspace_id"]})).await,
        404,
        "workspace_not_found",
    );
    assert_error(
        &s.call_with(
            &bob,
            "invites.accept",
            json!({"token": "tsi_x", "email": "c@x.io", "password": PASSWORD, "display_name": "C"}),
        )
        .await,
        404,
        "invite_not_found",
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn expired_and_used_up_invites_are_gone(db: PgPool) {
    let s = Srv::start(db).await;
    s.signup("alice@x.io", "Acme").await;
    let (_, inv) =
        s.call("invites.create", json!({"role": "member", "expires_in_hours": 1, "max_uses": 1})).await;
    let token = inv["url"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    let join =
        |email: &str| json!({"token": token, "email": email, "password": PASSWORD, "display_name": "P"});
    assert_eq!(s.call_with(&client(), "invites.accept", join("p1@x.io")).await.0, 200);
    assert_error(&s.call_with(&client(), "invites.accept", join("p2@x.io")).await, 410, "invite_used_up");
    sqlx::query("update invite set max_uses = 5, expires_at = now() - interval '1 hour'")
        .execute(&s.db)
        .await
        .unwrap();
    assert_error(&s.call_with(&client(), "invites.accept", join("p3@x.io")).await, 410, "invite_expired");
    assert_eq!(common::count(&s.db, "account").await, 2);
}
