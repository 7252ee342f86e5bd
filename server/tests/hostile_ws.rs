//! A hostile client on the WebSocket: frames that announce to others are
//! throttled per socket, a flood closes the socket with 1008, `resume`
//! cannot be repeated or made to replay without bound, and one member or
//! IP cannot open sockets without end.
//!
//! "At most one event" is shown without sleeping: after the flood, a ping
//! from the sender proves every frame was handled, and a message posted
//! after that is a sentinel: the observer's events before it are all the
//! flood caused.

mod common;

use app::auth::Role;
use common::ws::{
    connect, general, next, next_of, open, post, presence_of, send, ticket_url, token, until_close,
};
use common::{member, owner, Srv};
use serde_json::json;
use sqlx::PgPool;

/// Reads events up to the sentinel message; returns them.
async fn until_sentinel(ws: &mut common::ws::Ws, text: &str) -> Vec<serde_json::Value> {
    let mut seen = Vec::new();
    loop {
        let v = next(ws).await;
        if v["type"] == "message_created" && v["message"]["text"] == text {
            return seen;
        }
        seen.push(v);
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn activity_and_typing_floods_announce_once(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let (ta, tb) = (token(&db, &alice).await, token(&db, &bob).await);
    let g = general(&db, &alice).await;
    let mut a = connect(&srv, &ta, json!({})).await;
    let mut b = connect(&srv, &tb, json!({})).await;
    presence_of(&mut a, &bob.member_id.to_string()).await; // Bob is online
                                                           // 20 frames each: activity flipping idle/active, typing in a new thread each time.
    for i in 0..10 {
        send(&mut b, json!({"type": "activity", "active": i % 2 == 1})).await;
        send(&mut b, json!({"type": "typing", "channel": g, "thread_seq": i + 1})).await;
    }
    send(&mut b, json!({"type": "ping", "id": 1})).await;
    next_of(&mut b, "pong").await;
    post(&srv, &tb, &g, "sentinel").await;
    let seen = until_sentinel(&mut a, "sentinel").await;
    let bob_id = bob.member_id.to_string();
    let presence = seen.iter().filter(|v| v["type"] == "presence" && v["user"] == bob_id).count();
    let typing = seen.iter().filter(|v| v["type"] == "typing").count();
    assert_eq!(presence, 1, "one presence change (idle), not one per frame: {seen:?}");
    assert_eq!(typing, 1, "one typing event, whatever the thread: {seen:?}");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_frame_flood_closes_the_socket_with_1008(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let ta = token(&db, &alice).await;
    let g = general(&db, &alice).await;
    let mut a = connect(&srv, &ta, json!({})).await;
    for _ in 0..200 {
        use futures_util::SinkExt;
        let frame = json!({"type": "typing", "channel": g}).to_string();
        if a.send(tokio_tungstenite::tungstenite::Message::text(frame)).await.is_err() {
            break;
        }
    }
    let (_, code) = until_close(&mut a).await;
    assert_eq!(code, Some(1008));
    // The member can reconnect, and pings (answered to the sender only) are not limited.
    let mut again = connect(&srv, &ta, json!({})).await;
    for id in 0..100 {
        send(&mut again, json!({"type": "ping", "id": id})).await;
        assert_eq!(next_of(&mut again, "pong").await["id"], id);
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn resume_is_bounded_in_how_often_and_how_much(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let ta = token(&db, &alice).await;
    let g = general(&db, &alice).await;
    // A second resume right after the first: resync instead of another replay.
    let mut a = connect(&srv, &ta, json!({})).await;
    send(&mut a, json!({"type": "resume", "channels": {&g: 0}})).await;
    let (frames, code) = until_close(&mut a).await;
    assert_eq!(code, Some(4008));
    assert!(frames.iter().any(|f| f["type"] == "resync_required"), "{frames:?}");
    // A client missing more than 1,000 messages reloads instead of replaying them.
    for i in 0..3 {
        post(&srv, &ta, &g, &format!("m{i}")).await;
    }
    sqlx::query("update channel set last_seq = last_seq + 1000 where channel_id = $1::uuid")
        .bind(&g)
        .execute(&db)
        .await
        .unwrap();
    let mut b = open(&srv, &ta).await;
    send(&mut b, json!({"type": "resume", "channels": {&g: 0}})).await;
    let (frames, code) = until_close(&mut b).await;
    assert_eq!(code, Some(4008));
    assert!(!frames.iter().any(|f| f["type"] == "message_created"), "nothing was replayed: {frames:?}");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn sockets_per_member_are_capped(db: PgPool) {
    let srv = Srv::start_with(db.clone(), |c| c.ws_per_member = 2).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let ta = token(&db, &alice).await;
    let first = open(&srv, &ta).await;
    let _second = open(&srv, &ta).await;
    let refused = tokio_tungstenite::connect_async(ticket_url(&srv, &ta).await).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 429),
        other => panic!("expected 429, got {:?}", other.map(|(_, r)| r.status())),
    }
    // Closing one frees its slot (once the server's task for it has ended).
    drop(first);
    common::files::eventually("a slot comes back after a socket closed", || async {
        tokio_tungstenite::connect_async(ticket_url(&srv, &ta).await).await.is_ok()
    })
    .await;
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_ticket_of_a_revoked_token_opens_no_socket(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let (info, t) = app::tokens::actions::create(&db, &alice, "bot", None).await.unwrap();
    let url = ticket_url(&srv, &t).await;
    // Revoked between rtm.connect and the connect: the revocation's event
    // went out before the socket existed, so the ticket itself is refused.
    app::tokens::actions::revoke(&common::ctx(&db), &alice, info.id).await.unwrap();
    let err = tokio_tungstenite::connect_async(url).await.expect_err("the ticket still opened a socket");
    match err {
        tokio_tungstenite::tungstenite::Error::Http(res) => assert_eq!(res.status(), 401),
        e => panic!("expected a 401 before the upgrade, got {e}"),
    }
    // A ticket of a live token still works.
    let (_, live) = app::tokens::actions::create(&db, &alice, "bot 2", None).await.unwrap();
    tokio_tungstenite::connect_async(ticket_url(&srv, &live).await).await.unwrap();
}

/// A guest's socket hears only about people who share a channel with it: a
/// stranger's presence and profile change never reach it, a co-member's
/// do. Alice's own socket proves each stranger event was published (the hub
/// hands an event to every socket of the topic at once); her profile change
/// after them is the sentinel on the same topic.
#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_guest_hears_only_about_people_who_share_a_channel(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let gus = member(&db, &alice, "Gus", Role::Guest).await;
    let stella = member(&db, &alice, "Stella", Role::Member).await;
    let (ta, tg, ts) = (token(&db, &alice).await, token(&db, &gus).await, token(&db, &stella).await);
    let (s, b) =
        srv.call_bearer(&ta, "conversations.create", json!({"name": "vendors", "is_private": true})).await;
    assert_eq!(s, 200, "{b}");
    let vendors = b["channel"]["id"].as_str().unwrap().to_string();
    let (s, b) = srv
        .call_bearer(&ta, "conversations.invite", json!({"channel": vendors, "users": [gus.member_id]}))
        .await;
    assert_eq!(s, 200, "{b}");
    let mut a = connect(&srv, &ta, json!({})).await;
    let mut g = connect(&srv, &tg, json!({})).await;
    let stella_id = stella.member_id.to_string();
    let _s = connect(&srv, &ts, json!({})).await;
    presence_of(&mut a, &stella_id).await;
    let profile = |name: &str| json!({"display_name": name, "full_name": "", "title": "", "time_zone": ""});
    let (s, b) = srv.call_bearer(&ts, "users.profile.set", profile("Stella S")).await;
    assert_eq!(s, 200, "{b}");
    while next_of(&mut a, "profile_updated").await["profile"]["id"] != stella_id.as_str() {}
    let (s, b) = srv.call_bearer(&ta, "users.profile.set", profile("Alice A")).await;
    assert_eq!(s, 200, "{b}");
    let alice_id = alice.member_id.to_string();
    let mut heard = Vec::new();
    loop {
        let v = next(&mut g).await;
        if v["type"] == "profile_updated" && v["profile"]["id"] == alice_id.as_str() {
            break;
        }
        heard.push(v);
    }
    let about_stella =
        heard.iter().filter(|v| v["user"] == stella_id.as_str() || v["profile"]["id"] == stella_id.as_str());
    assert_eq!(about_stella.count(), 0, "the guest heard about a stranger: {heard:?}");
}
