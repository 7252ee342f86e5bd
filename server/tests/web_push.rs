//! Web Push end to end against a push service stand-in on loopback that
//! checks each request's VAPID signature and decrypts its payload with the
//! subscription's keys (common::push): a DM to a member with no tab open is
//! pushed to each of their devices; nothing is pushed while a tab is open,
//! for a muted conversation or in do-not-disturb; a 410 removes the device;
//! signing out forgets the session's devices; bad subscriptions are refused.

mod common;

use common::push::PushService;
use common::ws::connect;
use common::{assert_error, client, count, Srv, PASSWORD};
use reqwest::Client;
use serde_json::{json, Value};
use sqlx::PgPool;

async fn join(srv: &Srv, invite: &str, email: &str, name: &str) -> Client {
    let c = client();
    let body = json!({"token": invite, "email": email, "password": PASSWORD, "display_name": name});
    let (s, b) = srv.call_with(&c, "invites.accept", body).await;
    assert_eq!(s, 200, "{b}");
    c
}

async fn member_id(db: &PgPool, email: &str) -> String {
    sqlx::query_scalar(
        "select m.member_id::text from member m join account a using (account_id) where a.email = $1",
    )
    .bind(email)
    .fetch_one(db)
    .await
    .unwrap()
}

async fn dm(srv: &Srv, with: &str) -> String {
    let (s, b) = srv.call("conversations.open", json!({"users": [with]})).await;
    assert_eq!(s, 200, "{b}");
    b["channel"]["id"].as_str().unwrap().to_string()
}

async fn say(srv: &Srv, channel: &str, text: &str) -> Value {
    let (s, b) = srv.call("chat.postMessage", json!({"channel": channel, "text": text})).await;
    assert_eq!(s, 200, "{b}");
    b["message"].clone()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn dms_and_mentions_are_pushed_encrypted_only_to_members_with_no_tab_open(db: PgPool) {
    let push = PushService::start().await;
    let base = push.base.clone();
    let srv = Srv::start_with(db.clone(), move |c| c.push_endpoints = vec![base]).await;
    srv.signup("alice@x.io", "Acme").await;
    let (_, inv) =
        srv.call("invites.create", json!({"role": "member", "expires_in_hours": 1, "max_uses": 5})).await;
    let invite = inv["url"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    let bob = join(&srv, &invite, "bob@x.io", "Bob").await;
    let cat = join(&srv, &invite, "cat@x.io", "Cat").await;
    let (bob_id, cat_id) = (member_id(&db, "bob@x.io").await, member_id(&db, "cat@x.io").await);

    // Bad subscriptions are refused and store nothing.
    let laptop = push.device("bob-laptop", false);
    let mut internal = laptop.subscription();
    internal["endpoint"] = json!("http://127.0.0.1:5432/");
    assert_error(&srv.call_with(&bob, "push.subscribe", internal).await, 400, "invalid_arguments");
    let mut short = laptop.subscription();
    short["keys"]["auth"] = json!("c2hvcnQ");
    assert_error(&srv.call_with(&bob, "push.subscribe", short).await, 400, "invalid_arguments");
    let (_, tok) = srv.call_with(&bob, "tokens.create", json!({"label": "bot"})).await;
    let bob_token = tok["token"].as_str().unwrap().to_string();
    let by_token = srv.call_bearer(&bob_token, "push.subscribe", laptop.subscription()).await;
    assert_eq!(by_token.0, 403, "only a browser session subscribes: {}", by_token.1);
    assert_eq!(count(&db, "push_subscription").await, 0);

    // Bob's laptop and phone, and Cat's phone plus a device whose push
    // service says it is gone.
    let phone = push.device("bob-phone", false);
    let (cat_phone, cat_old) = (push.device("cat-phone", false), push.device("cat-old", true));
    for (c, d) in [(&bob, &laptop), (&cat, &cat_phone), (&cat, &cat_old)] {
        assert_eq!(srv.call_with(c, "push.subscribe", d.subscription()).await.0, 200);
    }
    let bob_phone = client();
    let login = json!({"email": "bob@x.io", "password": PASSWORD});
    assert_eq!(srv.call_with(&bob_phone, "auth.login", login).await.0, 200);
    assert_eq!(srv.call_with(&bob_phone, "push.subscribe", phone.subscription()).await.0, 200);
    assert_eq!(count(&db, "push_subscription").await, 4);
    let (_, prefs) = srv.call_with(&bob, "users.prefs.get", json!({})).await;
    let key = prefs["push_key"].as_str().unwrap().to_string();
    assert_eq!(key.len(), 87, "an uncompressed P-256 point in base64url: {prefs}");

    // A DM to Bob, who has no tab open: both devices get it, signed with
    // the server's key and decrypted with each device's own keys.
    let to_bob = dm(&srv, &bob_id).await;
    let lunch = say(&srv, &to_bob, "Lunch at noon? <b>bring</b> the plan").await;
    let first = [push.wait_for(1).await, push.wait_for(2).await];
    let mut devices: Vec<&str> = first.iter().map(|p| p.device.as_str()).collect();
    devices.sort();
    assert_eq!(devices, ["bob-laptop", "bob-phone"]);
    for p in &first {
        assert_eq!(p.vapid_key, key);
        assert_eq!(p.payload["title"], "alice", "{}", p.payload);
        assert_eq!(p.payload["body"], "Lunch at noon? <b>bring</b> the plan");
        assert_eq!(p.payload["url"], format!("/c/{to_bob}/{}", lunch["seq"]));
    }

    // Bob opens a tab: the tab notifies him, so nothing is pushed. Cat, with
    // no tab, gets her DM next (pushes go in order, so Bob's was decided).
    let tab = connect(&srv, &bob_token, json!({})).await;
    say(&srv, &to_bob, "seen in the tab").await;
    let to_cat = dm(&srv, &cat_id).await;
    say(&srv, &to_cat, "hello Cat").await;
    let (third, fourth) = (push.wait_for(3).await, push.wait_for(4).await);
    let mut cats = [third.device.as_str(), fourth.device.as_str()];
    cats.sort();
    assert_eq!(cats, ["cat-phone", "gone/cat-old"], "the gone device was tried once");
    assert_eq!((&third.payload["body"], &fourth.payload["body"]), (&json!("hello Cat"), &json!("hello Cat")));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while count(&db, "push_subscription").await != 3 {
        assert!(std::time::Instant::now() < deadline, "the 410 device was not removed");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // Muted conversations and do-not-disturb push nothing. Then Bob closes
    // his tab: once he reads offline, a DM to him is pushed again, and as
    // pushes go in order, Cat's two were decided by then (with the snooze on).
    let (_, list) = srv.call_with(&cat, "conversations.list", json!({})).await;
    let general = list["channels"].as_array().unwrap().iter().find(|c| c["name"] == "general").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(srv.call_with(&cat, "conversations.mute", json!({"channel": general})).await.0, 200);
    say(&srv, &general, "@Cat muted for you").await;
    assert_eq!(srv.call_with(&cat, "dnd.set", json!({"snooze_minutes": 30})).await.0, 200);
    say(&srv, &to_cat, "during the snooze").await;
    drop(tab);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, p) = srv.call("users.getPresence", json!({"user": bob_id})).await;
        if p["presence"] == "offline" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "Bob still reads {p}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    say(&srv, &to_bob, "back to push").await;
    let (fifth, sixth) = (push.wait_for(5).await, push.wait_for(6).await);
    for p in [&fifth, &sixth] {
        assert!(p.device.starts_with("bob-"), "{p:?}");
        assert_eq!(p.payload["body"], "back to push");
    }

    // A plain channel message is pushed only to readers who want every message.
    assert_eq!(srv.call_with(&bob, "users.prefs.set", json!({"level": "all"})).await.0, 200);
    say(&srv, &general, "standup in 5").await;
    let (seventh, eighth) = (push.wait_for(7).await, push.wait_for(8).await);
    for p in [&seventh, &eighth] {
        assert!(p.device.starts_with("bob-"), "{p:?}");
        assert_eq!(
            (&p.payload["title"], &p.payload["body"]),
            (&json!("alice in #general"), &json!("standup in 5"))
        );
    }

    // Signing out forgets that session's device; the other session's stays.
    assert_eq!(srv.call_with(&bob, "auth.logout", json!({})).await.0, 200);
    let left: Vec<String> = sqlx::query_scalar("select endpoint from push_subscription order by endpoint")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(left, [phone.endpoint.clone(), cat_phone.endpoint.clone()]);
    assert!(push.refused().is_empty(), "{:?}", push.refused());
    assert_eq!(push.received().len(), 8, "nothing else was pushed: {:?}", push.received());
}
