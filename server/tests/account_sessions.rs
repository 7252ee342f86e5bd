//! A person's own account: the sessions they are signed in with (listed,
//! ended one by one or all but this one) and changing the password (the
//! current one is required and checked under the login limits; every other
//! session ends). Each step lands in the audit log.

mod common;

use common::{assert_error, client, Srv, PASSWORD};
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn sessions_are_listed_and_ended_and_a_password_change_ends_the_others(db: PgPool) {
    // More sign-ins than the default 5 a minute; the limit itself is checked below.
    let srv = Srv::start_with(db.clone(), |c| c.login_limit_account = 8).await;
    srv.signup("ann@x.io", "Acme").await;
    let login = json!({"email": "ann@x.io", "password": PASSWORD});
    let (laptop, phone, tablet) = (client(), client(), client());
    for c in [&laptop, &phone, &tablet] {
        assert_eq!(srv.call_with(c, "auth.login", login.clone()).await.0, 200);
    }
    let (s, list) = srv.call_with(&laptop, "auth.sessions.list", json!({})).await;
    assert_eq!(s, 200, "{list}");
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 4, "sign-up plus three sign-ins: {list}");
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    assert_eq!(sessions[0]["device"], "Unknown device", "{list}");
    assert_eq!(sessions[0]["ip"], "127.0.0.1", "{list}");

    // End the phone's session from the laptop.
    let (_, phone_list) = srv.call_with(&phone, "auth.sessions.list", json!({})).await;
    let phone_id = phone_list["sessions"].as_array().unwrap().iter().find(|s| s["current"] == true).unwrap()
        ["id"]
        .clone();
    let (s, r) = srv.call_with(&laptop, "auth.sessions.revoke", json!({"session": phone_id})).await;
    assert_eq!((s.as_u16(), r["ended"].as_u64()), (200, Some(1)), "{r}");
    assert_error(&srv.call_with(&phone, "auth.test", json!({})).await, 401, "not_authed");
    assert_error(
        &srv.call_with(&laptop, "auth.sessions.revoke", json!({"session": phone_id})).await,
        404,
        "session_not_found",
    );

    // A wrong current password changes nothing.
    let wrong = json!({"current_password": "not my password", "new_password": "a brand new secret"});
    assert_error(&srv.call_with(&laptop, "auth.password.change", wrong).await, 401, "invalid_credentials");
    let short = json!({"current_password": PASSWORD, "new_password": "short"});
    assert_error(&srv.call_with(&laptop, "auth.password.change", short).await, 400, "weak_password");
    assert_eq!(srv.call_with(&tablet, "auth.test", json!({})).await.0, 200);

    let change = json!({"current_password": PASSWORD, "new_password": "a brand new secret"});
    let (s, r) = srv.call_with(&laptop, "auth.password.change", change).await;
    assert_eq!((s.as_u16(), r["ended"].as_u64()), (200, Some(2)), "the tablet and the sign-up session: {r}");
    assert_eq!(srv.call_with(&laptop, "auth.test", json!({})).await.0, 200, "this session stays");
    assert_error(&srv.call_with(&tablet, "auth.test", json!({})).await, 401, "not_authed");
    assert_error(&srv.call_with(&client(), "auth.login", login).await, 401, "invalid_credentials");
    let fresh = json!({"email": "ann@x.io", "password": "a brand new secret"});
    assert_eq!(srv.call_with(&client(), "auth.login", fresh).await.0, 200);

    let log: Vec<String> = sqlx::query_scalar(
        "select action from audit_log where action not in ('workspace.created') order by audit_log_id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    let expect = [
        "auth.signed_in",
        "auth.signed_in",
        "auth.signed_in",
        "auth.signed_in",
        "session.revoked",
        "auth.sign_in_failed",
        "auth.password_changed",
        "auth.sign_in_failed",
        "auth.signed_in",
    ];
    assert_eq!(log, expect);

    // A password change is a password check: it shares the login buckets.
    let guess = json!({"current_password": "guess guess guess", "new_password": "another new secret"});
    assert_error(
        &srv.call_with(&laptop, "auth.password.change", guess.clone()).await,
        401,
        "invalid_credentials",
    );
    let limited = srv.call_with(&laptop, "auth.password.change", guess).await;
    assert_error(&limited, 429, "rate_limited");
}
