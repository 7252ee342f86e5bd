//! Who may call `admin.*`: every method as owner, admin, member, guest,
//! deactivated member, an owner of another workspace and anonymous. Only
//! this workspace's owners and admins get through; everyone else gets the
//! answer a missing method or person gets, and nothing changes. Then the
//! owner rules: only owners touch owners, the last owner stays, nobody
//! deactivates themselves.

mod common;

use app::auth::Role;
use common::ws::token;
use common::{assert_error, member, owner, Srv};
use serde_json::{json, Value};
use sqlx::PgPool;

/// Everything an admin call could change, as one comparable value.
async fn state(
    db: &PgPool,
) -> (Vec<(String, String, bool)>, Vec<(String, String, bool, bool)>, i64, i64, i64, Option<String>) {
    let members = sqlx::query_as(
        "select member_id::text, role, deactivated_at is not null from member order by member_id",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let channels = sqlx::query_as(
        "select coalesce(name, ''), kind, archived_at is not null, is_default from channel order by channel_id",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let n = |sql: &'static str| async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(db).await.unwrap() };
    (
        members,
        channels,
        n("select count(*) from api_token where revoked_at is not null").await,
        n("select count(*) from auth_session where revoked_at is not null").await,
        n("select count(*) from audit_log join workspace using (workspace_id) where name <> 'Other'").await,
        // Settings of every workspace but the other owner's, who may change their own.
        sqlx::query_scalar(
            "select string_agg(concat_ws('|', name, idle_after_secs, who_creates_channels, who_archives_channels,
                    broadcast_admins_over, max_upload_bytes, blocked_file_types::text, retention_days,
                    (select count(*) from channel c where c.retention_days is not null)), ';' order by workspace_id)
               from workspace where name <> 'Other'",
        )
        .fetch_one(db)
        .await
        .unwrap(),
    )
}

fn calls(bob: &str, channel: &str) -> Vec<(&'static str, Value)> {
    let any = uuid::Uuid::new_v4().to_string();
    vec![
        ("admin.conversations.list", json!({})),
        ("admin.conversations.archive", json!({"channel": channel})),
        ("admin.conversations.unarchive", json!({"channel": channel})),
        ("admin.conversations.rename", json!({"channel": channel, "name": "renamed"})),
        ("admin.conversations.convert", json!({"channel": channel, "is_private": true})),
        ("admin.conversations.setDefault", json!({"channel": channel, "is_default": true})),
        ("admin.overview", json!({})),
        ("admin.users.list", json!({})),
        ("admin.users.sessions", json!({"user": bob})),
        ("admin.users.setRole", json!({"user": bob, "role": "guest"})),
        ("admin.users.deactivate", json!({"user": bob})),
        ("admin.users.reactivate", json!({"user": bob})),
        ("admin.users.revokeSession", json!({"user": bob, "session": any})),
        ("admin.users.revokeToken", json!({"user": bob, "token": any})),
        ("admin.ownership.transfer", json!({"user": bob})),
        ("admin.audit.list", json!({})),
        ("admin.settings.get", json!({})),
        ("admin.retention.get", json!({})),
        ("admin.retention.set", json!({"workspace_days": 30})),
        ("admin.retention.set", json!({"channel": channel, "policy": {"mode": "days", "days": 7}})),
        ("admin.retention.run", json!({})),
        ("admin.export.status", json!({})),
        ("admin.export.start", json!({"include_private": true})),
        (
            "admin.settings.set",
            json!({"settings": {"name": "Other", "idle_after_secs": 60, "max_upload_bytes": 1048576,
                "blocked_file_types": ["exe"],
                "rules": {"create_channels": "admins", "archive_channels": "admins", "broadcast_admins_over": 0}}}),
        ),
    ]
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn only_owners_and_admins_reach_admin_methods_and_others_change_nothing(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let ada = member(&db, &alice, "Ada", Role::Admin).await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let gus = member(&db, &alice, "Gus", Role::Guest).await;
    let dee = member(&db, &alice, "Dee", Role::Member).await;
    let eve = owner(&db, "eve@y.io", "Other").await;
    let tokens = [
        token(&db, &alice).await,
        token(&db, &ada).await,
        token(&db, &bob).await,
        token(&db, &gus).await,
        token(&db, &dee).await,
        token(&db, &eve).await,
    ];
    let (s, b) = srv.call_bearer(&tokens[0], "admin.users.deactivate", json!({"user": dee.member_id})).await;
    assert_eq!(s, 200, "{b}");
    let bob_id = bob.member_id.to_string();
    let (s, c) = srv.call_bearer(&tokens[0], "conversations.create", json!({"name": "ops"})).await;
    assert_eq!(s, 200, "{c}");
    let channel = c["channel"]["id"].as_str().unwrap().to_string();
    let before = state(&db).await;

    // A member or guest: the method does not exist for them.
    for (who, tok) in [("member", &tokens[2]), ("guest", &tokens[3])] {
        for (method, body) in calls(&bob_id, &channel) {
            let got = srv.call_bearer(tok, method, body).await;
            assert_eq!(got.0, 404, "{who} {method}: {}", got.1);
            assert_eq!(got.1["error"], "unknown_method", "{who} {method}: {}", got.1);
        }
    }
    // A deactivated member's token was revoked with them.
    for (method, body) in calls(&bob_id, &channel) {
        assert_error(&srv.call_bearer(&tokens[4], method, body).await, 401, "invalid_auth");
    }
    // Anonymous.
    for (method, body) in calls(&bob_id, &channel) {
        let got = srv.call_with(&common::client(), method, body).await;
        assert_error(&got, 401, "not_authed");
    }
    // An owner elsewhere administers only their own workspace: Bob is not there.
    for (method, body) in calls(&bob_id, &channel) {
        let workspace_wide = body.get("channel").is_none();
        let got = srv.call_bearer(&tokens[5], method, body).await;
        if [
            "admin.overview",
            "admin.users.list",
            "admin.audit.list",
            "admin.conversations.list",
            "admin.settings.get",
            "admin.settings.set",
            "admin.retention.get",
            "admin.retention.run",
            "admin.export.status",
            "admin.export.start",
        ]
        .contains(&method)
            || (method == "admin.retention.set" && workspace_wide)
        {
            assert_eq!(got.0, 200, "{method}: {}", got.1);
            assert!(!got.1.to_string().contains(&bob_id), "{method} leaked Bob: {}", got.1);
            assert!(!got.1.to_string().contains(&channel), "{method} leaked the channel: {}", got.1);
        } else if method.starts_with("admin.conversations.") || method == "admin.retention.set" {
            assert_error(&got, 404, "channel_not_found");
        } else {
            assert_error(&got, 404, "user_not_found");
        }
    }
    assert_eq!(state(&db).await, before, "a refused call changed something");

    // Owners and admins read everything and see everyone, deactivated included.
    for tok in &tokens[..2] {
        let (s, b) = srv.call_bearer(tok, "admin.users.list", json!({})).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["members"].as_array().unwrap().len(), 5, "{b}");
        let (s, b) = srv.call_bearer(tok, "admin.users.list", json!({"status": "deactivated"})).await;
        assert_eq!((s.as_u16(), b["members"][0]["name"].as_str()), (200, Some("Dee")), "{b}");
        let (s, b) = srv.call_bearer(tok, "admin.users.sessions", json!({"user": bob_id})).await;
        assert_eq!((s.as_u16(), b["member"]["name"].as_str()), (200, Some("Bob")), "{b}");
        assert_eq!(b["tokens"].as_array().unwrap().len(), 1, "{b}");
        let (s, b) = srv.call_bearer(tok, "admin.overview", json!({})).await;
        assert_eq!(
            (s.as_u16(), b["members_active"].as_i64(), b["members_deactivated"].as_i64()),
            (200, Some(4), Some(1))
        );
        let (s, b) = srv.call_bearer(tok, "admin.audit.list", json!({"action": "member.deactivated"})).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["entries"][0]["detail"]["user_name"], "Dee", "{b}");
        assert_eq!(b["entries"][0]["actor_name"], "alice", "{b}");
    }
    let filtered = srv.call_bearer(&tokens[1], "admin.users.list", json!({"role": "guest"})).await;
    assert_eq!(filtered.1["members"].as_array().unwrap().len(), 1, "{}", filtered.1);
    let q = srv.call_bearer(&tokens[1], "admin.users.list", json!({"query": "bo"})).await;
    assert_eq!(q.1["members"][0]["name"], "Bob", "{}", q.1);
    assert_error(
        &srv.call_bearer(&tokens[1], "admin.audit.list", json!({"since": "yesterday"})).await,
        400,
        "invalid_arguments",
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn owners_are_protected_and_ownership_moves_whole(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let ada = member(&db, &alice, "Ada", Role::Admin).await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let (ta, tada) = (token(&db, &alice).await, token(&db, &ada).await);
    let (alice_id, ada_id, bob_id) =
        (alice.member_id.to_string(), ada.member_id.to_string(), bob.member_id.to_string());

    // Nobody deactivates themselves; an admin cannot touch the owner or make one.
    assert_error(
        &srv.call_bearer(&ta, "admin.users.deactivate", json!({"user": alice_id})).await,
        403,
        "cant_deactivate_self",
    );
    assert_error(
        &srv.call_bearer(&tada, "admin.users.deactivate", json!({"user": alice_id})).await,
        403,
        "owner_only",
    );
    let demote = json!({"user": alice_id, "role": "member"});
    assert_error(&srv.call_bearer(&tada, "admin.users.setRole", demote.clone()).await, 403, "owner_only");
    let promote = json!({"user": bob_id, "role": "owner"});
    assert_error(&srv.call_bearer(&tada, "admin.users.setRole", promote).await, 403, "owner_only");
    assert_error(
        &srv.call_bearer(&tada, "admin.ownership.transfer", json!({"user": bob_id})).await,
        403,
        "owner_only",
    );
    // The last owner cannot step down.
    assert_error(&srv.call_bearer(&ta, "admin.users.setRole", demote).await, 403, "last_owner");
    assert_error(
        &srv.call_bearer(&ta, "admin.users.setRole", json!({"user": bob_id, "role": "king"})).await,
        400,
        "invalid_arguments",
    );

    // An admin manages members; an owner hands ownership over.
    let (s, b) =
        srv.call_bearer(&tada, "admin.users.setRole", json!({"user": bob_id, "role": "guest"})).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = srv.call_bearer(&ta, "admin.ownership.transfer", json!({"user": ada_id})).await;
    assert_eq!(s, 200, "{b}");
    let roles: Vec<(String, String)> =
        sqlx::query_as("select display_name, role from member order by display_name")
            .fetch_all(&db)
            .await
            .unwrap();
    let roles: Vec<(&str, &str)> = roles.iter().map(|(n, r)| (n.as_str(), r.as_str())).collect();
    assert_eq!(roles, [("Ada", "owner"), ("Bob", "guest"), ("alice", "admin")]);
    // Alice, now an admin, can no longer touch Ada.
    assert_error(
        &srv.call_bearer(&ta, "admin.users.deactivate", json!({"user": ada_id})).await,
        403,
        "owner_only",
    );
    let log: Vec<String> = sqlx::query_scalar("select action from audit_log order by audit_log_id")
        .fetch_all(&db)
        .await
        .unwrap();
    assert!(log.ends_with(&["member.role_changed".into(), "ownership.transferred".into()]), "{log:?}");
    // The log is append-only.
    let edit = sqlx::query("update audit_log set action = 'nothing'").execute(&db).await;
    assert!(edit.is_err(), "audit rows were edited");
}
