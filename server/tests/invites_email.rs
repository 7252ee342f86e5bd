//! Invites by email, through a real SMTP server, and the sign-up domains of
//! invite links: an emailed invite arrives, works once and only for its
//! address; a link accepts only the workspace's domains once it has some.

mod common;

use common::mail::smtp_sink;
use common::ws::token;
use common::{assert_error, client, owner, Srv, PASSWORD};
use serde_json::{json, Value};
use sqlx::PgPool;

fn token_in(mail: &str) -> String {
    let at = mail.find("/invite/tsi_").expect("an invite link") + "/invite/".len();
    mail[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect()
}

async fn join(srv: &Srv, token: &str, email: &str) -> (reqwest::StatusCode, Value) {
    let body = json!({"token": token, "email": email, "password": PASSWORD, "display_name": "New Person"});
    srv.call_with(&client(), "invites.accept", body).await
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn an_emailed_invite_works_once_and_only_for_its_address(db: PgPool) {
    let sink = smtp_sink().await;
    let srv = Srv::start_with(db.clone(), |c| c.smtp_url = Some(sink.url.clone())).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let ta = token(&db, &alice).await;

    let send =
        json!({"role": "guest", "expires_in_hours": 48, "max_uses": 99, "email": " Dana@Example.org "});
    let (s, b) = srv.call_bearer(&ta, "invites.create", send).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        (b["invite"]["email"].as_str(), b["invite"]["max_uses"].as_i64()),
        (Some("dana@example.org"), Some(1))
    );
    assert_error(
        &srv.call_bearer(
            &ta,
            "invites.create",
            json!({"role": "member", "expires_in_hours": 1, "max_uses": 1, "email": "nope"}),
        )
        .await,
        400,
        "invalid_arguments",
    );

    let mail = sink.wait_for("dana@example.org").await;
    assert!(mail.contains("Subject: Join Acme on ThreadSpace"), "{mail}");
    let tok = token_in(&mail);
    let (_, info) = srv.call_with(&client(), "invites.info", json!({"token": tok})).await;
    assert_eq!(info["invite"]["email"], "dana@example.org", "{info}");

    // Someone else with the link is refused, and the use is not spent.
    assert_error(&join(&srv, &tok, "eve@example.org").await, 403, "invite_email_mismatch");
    let (s, b) = join(&srv, &tok, "DANA@example.org").await;
    assert_eq!(s, 200, "{b}");
    let role: String = sqlx::query_scalar(
        "select m.role from member m join account a using (account_id) where a.email = $1",
    )
    .bind("dana@example.org")
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(role, "guest");
    assert_error(&join(&srv, &tok, "dana@example.org").await, 410, "invite_used_up");
    let (_, list) = srv.call_bearer(&ta, "invites.list", json!({})).await;
    assert_eq!(list["invites"][0]["email"], "dana@example.org", "{list}");
    let (_, log) = srv.call_bearer(&ta, "admin.audit.list", json!({"action": "invite.created"})).await;
    assert_eq!(log["entries"][0]["detail"]["email"], "dana@example.org", "{log}");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_link_accepts_only_the_workspaces_domains_once_it_has_some(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let ta = token(&db, &alice).await;
    let (_, link) = srv
        .call_bearer(&ta, "invites.create", json!({"role": "member", "expires_in_hours": 24, "max_uses": 10}))
        .await;
    let tok = link["url"].as_str().unwrap().rsplit('/').next().unwrap().to_string();

    let (_, mut s) = srv.call_bearer(&ta, "admin.settings.get", json!({})).await;
    assert_eq!(s["signup_domains"], json!([]));
    for k in ["ok", "response_metadata"] {
        s.as_object_mut().unwrap().remove(k);
    }
    s["signup_domains"] = json!(["localhost"]);
    assert_error(
        &srv.call_bearer(&ta, "admin.settings.set", json!({"settings": s.clone()})).await,
        400,
        "invalid_arguments",
    );
    s["signup_domains"] = json!(["@ACME.io", "acme.co.uk"]);
    let (st, saved) = srv.call_bearer(&ta, "admin.settings.set", json!({"settings": s})).await;
    assert_eq!(
        (st.as_u16(), saved["signup_domains"].clone()),
        (200, json!(["acme.io", "acme.co.uk"])),
        "{saved}"
    );

    assert_error(&join(&srv, &tok, "mallory@evil.io").await, 403, "email_domain_not_allowed");
    assert_error(&join(&srv, &tok, "mallory@notacme.io").await, 403, "email_domain_not_allowed");
    let (st, b) = join(&srv, &tok, "bob@acme.io").await;
    assert_eq!(st, 200, "{b}");
    let (_, info) = srv.call_with(&client(), "invites.info", json!({"token": tok})).await;
    assert_eq!(info["invite"]["email"], Value::Null);
}
