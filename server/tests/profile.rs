//! Profiles and custom statuses: a member edits theirs, everyone's open
//! pages hear of it (`profile_updated`), bad input is refused with nothing
//! stored, a status disappears once it expires, and outsiders see nothing.

mod common;

use app::auth::Role;
use common::ws::{connect, next_of, token};
use common::{assert_error, member, owner, Srv};
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_profile_and_status_change_reach_everyone_and_bad_input_changes_nothing(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Guest).await;
    let eve = owner(&db, "eve@y.io", "Other").await;
    let (ta, tb, te) = (token(&db, &alice).await, token(&db, &bob).await, token(&db, &eve).await);
    let mut watching = connect(&srv, &ta, json!({})).await;

    let set = json!({"display_name": " Bob B ", "full_name": "Robert Builder", "title": "Site lead", "time_zone": "Europe/Berlin"});
    let (s, r) = srv.call_bearer(&tb, "users.profile.set", set).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["profile"]["name"].as_str(), r["profile"]["time_zone"].as_str()),
        (Some("Bob B"), Some("Europe/Berlin"))
    );
    let ev = next_of(&mut watching, "profile_updated").await;
    assert_eq!(
        (ev["profile"]["name"].as_str(), ev["profile"]["title"].as_str()),
        (Some("Bob B"), Some("Site lead"))
    );

    let (s, r) = srv
        .call_bearer(
            &tb,
            "users.status.set",
            json!({"emoji": ":palm_tree:", "text": "On leave", "expires_in_minutes": 60}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["profile"]["status"]["emoji"].as_str(), r["profile"]["status"]["text"].as_str()),
        (Some("🌴"), Some("On leave"))
    );
    let ev = next_of(&mut watching, "profile_updated").await;
    assert_eq!(ev["profile"]["status"]["text"], "On leave");
    let (_, info) = srv.call_bearer(&ta, "users.info", json!({"user": bob.member_id})).await;
    assert_eq!(info["user"]["status"]["emoji"], "🌴", "{info}");

    // Refused, and nothing stored.
    let before: (String, String, String) =
        sqlx::query_as("select display_name, status_text, time_zone from member where member_id = $1")
            .bind(bob.member_id)
            .fetch_one(&db)
            .await
            .unwrap();
    let bad = [
        (
            "users.profile.set",
            json!({"display_name": "", "full_name": "", "title": "", "time_zone": ""}),
            "invalid_arguments",
        ),
        (
            "users.profile.set",
            json!({"display_name": "B", "full_name": "", "title": "x".repeat(101), "time_zone": ""}),
            "invalid_arguments",
        ),
        (
            "users.profile.set",
            json!({"display_name": "B", "full_name": "", "title": "", "time_zone": "<script>"}),
            "invalid_arguments",
        ),
        ("users.status.set", json!({"emoji": "notanemoji", "text": "x"}), "invalid_emoji"),
        ("users.status.set", json!({"emoji": "🌴", "text": "x".repeat(101)}), "invalid_arguments"),
        (
            "users.status.set",
            json!({"emoji": "🌴", "text": "x", "expires_in_minutes": 0}),
            "invalid_arguments",
        ),
    ];
    for (method, body, code) in bad {
        assert_error(&srv.call_bearer(&tb, method, body).await, 400, code);
    }
    let after: (String, String, String) =
        sqlx::query_as("select display_name, status_text, time_zone from member where member_id = $1")
            .bind(bob.member_id)
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(before, after);

    // HTML is stored as text (the UI renders it escaped), and an expired status is gone.
    let html = json!({"emoji": "🌴", "text": "<img src=x onerror=alert(1)>"});
    let (_, r) = srv.call_bearer(&tb, "users.status.set", html).await;
    assert_eq!(r["profile"]["status"]["text"], "<img src=x onerror=alert(1)>");
    sqlx::query("update member set status_expires_at = now() - interval '1 second' where member_id = $1")
        .bind(bob.member_id)
        .execute(&db)
        .await
        .unwrap();
    let (_, r) = srv.call_bearer(&ta, "users.profile.get", json!({"user": bob.member_id})).await;
    assert!(r["profile"]["status"].is_null(), "{r}");
    let (_, r) = srv.call_bearer(&tb, "users.status.set", json!({"emoji": "", "text": ""})).await;
    assert!(r["profile"]["status"].is_null(), "cleared: {r}");

    // Someone from another workspace sees nobody.
    assert_error(
        &srv.call_bearer(&te, "users.profile.get", json!({"user": bob.member_id})).await,
        404,
        "user_not_found",
    );
}
