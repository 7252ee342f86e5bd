//! Password reset by email, end to end through a real SMTP server: the link
//! arrives, works once, signs out every session, and a used, expired or
//! forged link is refused. Asking reveals nothing about which emails exist,
//! and a mail server that is down never holds up the request.

mod common;

use common::mail::smtp_sink;
use common::{assert_error, client, Srv, PASSWORD};
use serde_json::json;
use sqlx::PgPool;

fn token_in(mail: &str) -> String {
    let at = mail.find("/reset/tsr_").expect("a reset link") + "/reset/".len();
    mail[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_reset_link_arrives_works_once_and_signs_out_everywhere(db: PgPool) {
    let sink = smtp_sink().await;
    let srv = Srv::start_with(db.clone(), |c| {
        c.smtp_url = Some(sink.url.clone());
        c.mail_from = "ThreadSpace <chat@example.com>".into();
    })
    .await;
    srv.signup("ann@x.io", "Acme").await;
    let laptop = client();
    let login = json!({"email": "ann@x.io", "password": PASSWORD});
    assert_eq!(srv.call_with(&laptop, "auth.login", login.clone()).await.0, 200);

    let anon = client();
    let (s, r) = srv.call_with(&anon, "auth.password.resetRequest", json!({"email": "ANN@x.io"})).await;
    assert_eq!((s.as_u16(), r["email_configured"].as_bool()), (200, Some(true)), "{r}");
    // An unknown address gets the same answer, and no mail.
    let (s, r2) = srv.call_with(&anon, "auth.password.resetRequest", json!({"email": "nobody@x.io"})).await;
    assert_eq!((s.as_u16(), &r2), (200, &r));
    assert_error(
        &srv.call_with(&anon, "auth.password.resetRequest", json!({"email": "not an email"})).await,
        400,
        "invalid_arguments",
    );

    let mail = sink.wait_for("ann@x.io").await;
    assert!(mail.contains("Subject: Reset your ThreadSpace password"), "{mail}");
    assert!(mail.contains("From: ThreadSpace <chat@example.com>"), "{mail}");
    let token = token_in(&mail);
    assert!(mail.contains(&format!("{}/reset/{token}", srv.url)), "{mail}");
    let queued: Vec<String> =
        sqlx::query_scalar("select to_email from mail_outbox").fetch_all(&db).await.unwrap();
    assert_eq!(queued, ["ann@x.io"]);

    let weak = json!({"token": token, "new_password": "short"});
    assert_error(&srv.call_with(&anon, "auth.password.reset", weak).await, 400, "weak_password");
    let set = json!({"token": token, "new_password": "a fresh new secret"});
    let (s, b) = srv.call_with(&anon, "auth.password.reset", set.clone()).await;
    assert_eq!(s, 200, "{b}");
    assert_error(&srv.call_with(&anon, "auth.password.reset", set).await, 400, "invalid_reset_link");
    assert_error(&srv.call_with(&laptop, "auth.test", json!({})).await, 401, "not_authed");
    assert_error(&srv.call_with(&client(), "auth.login", login).await, 401, "invalid_credentials");
    let fresh = json!({"email": "ann@x.io", "password": "a fresh new secret"});
    assert_eq!(srv.call_with(&client(), "auth.login", fresh).await.0, 200);

    // An expired link, and a forged one.
    let (s, _) = srv.call_with(&anon, "auth.password.resetRequest", json!({"email": "ann@x.io"})).await;
    assert_eq!(s, 200);
    sqlx::query("update password_reset set expires_at = now() - interval '1 second' where used_at is null")
        .execute(&db)
        .await
        .unwrap();
    common::files::eventually("the second mail", || async { sink.mails().len() == 2 }).await;
    let second = sink.mails().iter().map(|m| token_in(m)).find(|t| *t != token).expect("a new link");
    for t in [second.as_str(), "tsr_forged", "not even a token"] {
        let late = json!({"token": t, "new_password": "another fresh secret"});
        assert_error(&srv.call_with(&anon, "auth.password.reset", late).await, 400, "invalid_reset_link");
    }
    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_log where action like 'auth.password%' order by audit_log_id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(
        actions,
        ["auth.password_reset_requested", "auth.password_reset", "auth.password_reset_requested"]
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_mail_server_that_is_down_holds_nothing_up_and_the_mail_waits(db: PgPool) {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let srv = Srv::start_with(db.clone(), |c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    srv.signup("ann@x.io", "Acme").await;
    let (s, r) = srv.call_with(&client(), "auth.password.resetRequest", json!({"email": "ann@x.io"})).await;
    assert_eq!(s, 200, "{r}");
    common::files::eventually("the worker tried and scheduled a retry", || async {
        let row: (i32, Option<String>, bool) = sqlx::query_as(
            "select attempts, last_error, sent_at is null and next_attempt_at > now() from mail_outbox",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        row.0 == 1 && row.1.is_some() && row.2
    })
    .await;
}
