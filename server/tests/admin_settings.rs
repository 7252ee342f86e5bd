//! Workspace settings (`admin.settings.*`): what an admin chooses is
//! stored, audited and announced, and every check that depends on it
//! applies it at once: channel creation, archiving, `@channel` in large
//! channels, the upload limit and blocked file types. A refused write
//! leaves nothing behind.

mod common;

use app::auth::Role;
use common::files::{file_rows, form, noise, temp_files, upload};
use common::ws::{connect, general, next_of, token};
use common::{assert_error, member, owner, Srv};
use serde_json::{json, Value};

async fn settings(srv: &Srv, tok: &str) -> Value {
    let (s, b) = srv.call_bearer(tok, "admin.settings.get", json!({})).await;
    assert_eq!(s, 200, "{b}");
    b
}

async fn save(srv: &Srv, tok: &str, mut s: Value, change: Value) -> (reqwest::StatusCode, Value) {
    for (k, v) in change.as_object().unwrap() {
        if k == "rules" {
            for (rk, rv) in v.as_object().unwrap() {
                s["rules"][rk] = rv.clone();
            }
        } else {
            s[k] = v.clone();
        }
    }
    for k in ["ok", "response_metadata"] {
        s.as_object_mut().unwrap().remove(k);
    }
    srv.call_bearer(tok, "admin.settings.set", json!({ "settings": s })).await
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn settings_are_stored_audited_announced_and_bounded(db: sqlx::PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let (ta, tb) = (token(&db, &alice).await, token(&db, &bob).await);
    let mut bobs = connect(&srv, &tb, json!({})).await;

    let s = settings(&srv, &ta).await;
    assert_eq!(
        (s["name"].as_str(), s["idle_after_secs"].as_i64(), s["max_upload_bytes"].as_i64()),
        (Some("Acme"), Some(300), Some(25 * 1024 * 1024)),
        "{s}"
    );
    assert_eq!(
        s["rules"],
        json!({"create_channels": "members", "archive_channels": "members", "broadcast_admins_over": null})
    );

    let change = json!({"name": " Acme Corp ", "idle_after_secs": 600, "blocked_file_types": [".EXE", "bat"],
        "rules": {"create_channels": "admins"}});
    let (st, saved) = save(&srv, &ta, s.clone(), change).await;
    assert_eq!(st, 200, "{saved}");
    assert_eq!(
        (saved["name"].as_str(), saved["blocked_file_types"].clone()),
        (Some("Acme Corp"), json!(["exe", "bat"]))
    );
    // Bob's open page hears the new name and rules.
    let ev = next_of(&mut bobs, "workspace_updated").await;
    assert_eq!(
        (ev["name"].as_str(), ev["rules"]["create_channels"].as_str()),
        (Some("Acme Corp"), Some("admins"))
    );
    let (_, me) = srv.call_bearer(&tb, "auth.test", json!({})).await;
    assert_eq!(me["rules"]["create_channels"], "admins", "{me}");
    // Audited once, with what changed; saving the same again records nothing.
    let (_, log) =
        srv.call_bearer(&ta, "admin.audit.list", json!({"action": "workspace.settings_changed"})).await;
    assert_eq!(log["entries"].as_array().unwrap().len(), 1, "{log}");
    assert_eq!(
        log["entries"][0]["detail"]["changed"],
        json!(["name", "idle_after_secs", "create_channels", "blocked_file_types"])
    );
    let (st, _) = save(&srv, &ta, saved.clone(), json!({})).await;
    assert_eq!(st, 200);
    let (_, log) =
        srv.call_bearer(&ta, "admin.audit.list", json!({"action": "workspace.settings_changed"})).await;
    assert_eq!(log["entries"].as_array().unwrap().len(), 1, "{log}");

    // Out of bounds: refused, nothing stored.
    for bad in [
        json!({"idle_after_secs": 10}),
        json!({"max_upload_bytes": 26 * 1024 * 1024}),
        json!({"max_upload_bytes": 10}),
        json!({"name": "   "}),
        json!({"blocked_file_types": ["a/b"]}),
        json!({"rules": {"broadcast_admins_over": -5}}),
    ] {
        let got = save(&srv, &ta, saved.clone(), bad.clone()).await;
        assert_error(&got, 400, "invalid_arguments");
    }
    let (st, b) = srv.call_bearer(&ta, "admin.settings.set", json!({"settings": {"name": "x"}})).await;
    assert_eq!(st, 400, "a partial object is malformed: {b}");
    assert_eq!(settings(&srv, &ta).await, settings(&srv, &ta).await);
    assert_eq!(settings(&srv, &ta).await["name"], "Acme Corp");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_rules_apply_to_the_next_request(db: sqlx::PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let (ta, tb) = (token(&db, &alice).await, token(&db, &bob).await);
    let g = general(&db, &alice).await;
    let (_, c) = srv.call_bearer(&tb, "conversations.create", json!({"name": "bobs"})).await;
    let bobs = c["channel"]["id"].as_str().unwrap().to_string();
    let s = settings(&srv, &ta).await;
    let strict = json!({"rules": {"create_channels": "admins", "archive_channels": "admins", "broadcast_admins_over": 1},
        "max_upload_bytes": 1024 * 1024, "blocked_file_types": ["exe"]});
    let (st, b) = save(&srv, &ta, s, strict).await;
    assert_eq!(st, 200, "{b}");

    // Channels: only admins create and archive.
    let channels = common::count(&db, "channel").await;
    let got = srv.call_bearer(&tb, "conversations.create", json!({"name": "more"})).await;
    assert_error(&got, 403, "restricted_action");
    assert_eq!(common::count(&db, "channel").await, channels);
    let got = srv.call_bearer(&tb, "conversations.archive", json!({"channel": bobs})).await;
    assert_error(&got, 403, "restricted_action");
    let (st, b) = srv.call_bearer(&ta, "conversations.create", json!({"name": "admins-only"})).await;
    assert_eq!(st, 200, "{b}");

    // @channel in #general (2 members, over the limit of 1): admins only.
    let messages = common::count(&db, "message").await;
    for text in ["@channel lunch?", "hey @here", "@everyone hi"] {
        let got = srv.call_bearer(&tb, "chat.postMessage", json!({"channel": g, "text": text})).await;
        assert_error(&got, 403, "cant_broadcast");
    }
    assert_eq!(common::count(&db, "message").await, messages, "a refused send stored something");
    let (st, b) =
        srv.call_bearer(&tb, "chat.postMessage", json!({"channel": g, "text": "no broadcast"})).await;
    assert_eq!(st, 200, "{b}");
    // Editing a message into a broadcast is refused the same way.
    let seq = b["message"]["seq"].clone();
    let got =
        srv.call_bearer(&tb, "chat.update", json!({"channel": g, "seq": seq, "text": "@channel now"})).await;
    assert_error(&got, 403, "cant_broadcast");
    let (st, b) = srv
        .call_bearer(&ta, "chat.postMessage", json!({"channel": g, "text": "@channel from an admin"}))
        .await;
    assert_eq!(st, 200, "{b}");
    // Bob's own channel has one member: not large.
    let (st, b) =
        srv.call_bearer(&tb, "chat.postMessage", json!({"channel": bobs, "text": "@here me"})).await;
    assert_eq!(st, 200, "{b}");

    // Uploads: the workspace's limit and blocked types, nothing half-stored.
    let rows = file_rows(&srv).await;
    let (st, b) =
        upload(&srv, &tb, form(&[("channel", &g)], vec![("big.bin", noise(1024 * 1024 + 1, 1))])).await;
    assert_eq!((st.as_u16(), b["error"].as_str()), (413, Some("file_too_large")), "{b}");
    let (st, b) = upload(&srv, &tb, form(&[("channel", &g)], vec![("setup.EXE", noise(10, 2))])).await;
    assert_eq!((st.as_u16(), b["error"].as_str()), (400, Some("file_type_blocked")), "{b}");
    assert_eq!(file_rows(&srv).await, rows, "a refused upload stored something");
    assert!(temp_files(&srv).is_empty(), "temporary files left: {:?}", temp_files(&srv));
    let (st, b) =
        upload(&srv, &tb, form(&[("channel", &g)], vec![("notes.txt", noise(1024 * 1024, 3))])).await;
    assert_eq!(st, 200, "{b}");

    // Relaxed again: Bob creates channels.
    let s = settings(&srv, &ta).await;
    let (st, _) = save(&srv, &ta, s, json!({"rules": {"create_channels": "members"}})).await;
    assert_eq!(st, 200);
    let (st, b) = srv.call_bearer(&tb, "conversations.create", json!({"name": "more"})).await;
    assert_eq!(st, 200, "{b}");
}
