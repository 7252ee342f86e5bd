//! The WebSocket gateway with real clients (tokio-tungstenite) against the
//! real server: who receives what, kicks, resume without gaps, lagging
//! clients and malformed frames.
//!
//! "Receives nothing" is shown without sleeping: the one bus delivers in
//! publish order, so once a later sentinel event arrives, any earlier event
//! for that socket would have arrived before it.

mod common;

use app::auth::Role;
use common::ws::{
    connect, general, next, next_event, next_of, open, post, presence_of, send, ticket_url, token,
    until_close,
};
use common::{member, owner, Srv};
use futures_util::SinkExt;
use serde_json::json;
use sqlx::PgPool;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn members_receive_events_and_outsiders_receive_nothing(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let carol = member(&db, &alice, "Carol", Role::Member).await;
    let eve = owner(&db, "eve@y.io", "Other").await;
    let (ta, tb, tc, te) =
        (token(&db, &alice).await, token(&db, &bob).await, token(&db, &carol).await, token(&db, &eve).await);
    let (s, b) =
        srv.call_bearer(&ta, "conversations.create", json!({"name": "secret", "is_private": true})).await;
    assert_eq!(s, 200, "{b}");
    let secret = b["channel"]["id"].as_str().unwrap().to_string();
    srv.call_bearer(&ta, "conversations.invite", json!({"channel": secret, "users": [bob.member_id]})).await;

    let mut a = connect(&srv, &ta, json!({})).await;
    let mut b = connect(&srv, &tb, json!({})).await;
    let mut c = connect(&srv, &tc, json!({})).await;
    let mut e = connect(&srv, &te, json!({})).await;

    let (_, sent) = srv
        .call_bearer(
            &ta,
            "chat.postMessage",
            json!({"channel": secret, "text": "hi <b>bob</b>", "client_msg_id": "m-1"}),
        )
        .await;
    for ws in [&mut a, &mut b] {
        let ev = next_event(ws).await;
        assert_eq!(ev["type"], "message_created", "{ev}");
        assert_eq!(ev["message"]["seq"], sent["message"]["seq"]);
        assert_eq!(ev["message"]["client_msg_id"], "m-1", "the sender reconciles by client_msg_id");
        assert!(!ev["message"]["html"].as_str().unwrap().contains("<b>"));
    }
    // A retry with the same client_msg_id is the same message, stored once and
    // announced again (in case the first announcement was lost with its node).
    let (_, again) = srv
        .call_bearer(
            &ta,
            "chat.postMessage",
            json!({"channel": secret, "text": "hi <b>bob</b>", "client_msg_id": "m-1"}),
        )
        .await;
    assert_eq!(again["message"]["seq"], sent["message"]["seq"]);
    srv.call_bearer(&ta, "chat.update", json!({"channel": secret, "seq": 1, "text": "edited"})).await;
    srv.call_bearer(&tb, "reactions.add", json!({"channel": secret, "seq": 1, "emoji": "tada"})).await;
    srv.call_bearer(&ta, "chat.postMessage", json!({"channel": secret, "text": "reply", "thread_seq": 1}))
        .await;
    srv.call_bearer(&ta, "chat.delete", json!({"channel": secret, "seq": 2})).await;
    let kinds: Vec<String> = {
        let mut v = Vec::new();
        for _ in 0..7 {
            v.push(next_event(&mut b).await["type"].as_str().unwrap().to_string());
        }
        v
    };
    assert_eq!(
        kinds,
        [
            "message_created",
            "message_updated",
            "reaction_added",
            "message_created",
            "thread_reply",
            "message_deleted",
            "thread_reply"
        ]
    );

    // Sentinels: a message in #general reaches Carol, one in Other reaches Eve.
    let g = general(&db, &alice).await;
    post(&srv, &ta, &g, "sentinel").await;
    let first = next_event(&mut c).await;
    assert_eq!(first["message"]["text"], "sentinel", "Carol saw nothing of #secret: {first}");
    let eg = general(&db, &eve).await;
    post(&srv, &te, &eg, "sentinel").await;
    let first = next_event(&mut e).await;
    assert_eq!(first["message"]["text"], "sentinel", "Eve saw nothing of Acme: {first}");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_socket_authenticates_by_cookie_with_origin_or_by_single_use_ticket(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    srv.signup("alice@x.io", "Acme").await;
    let cookie = {
        // The test client's cookie jar is private; log in by hand to read the cookie.
        let login = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let r = login
            .post(format!("{}/api/auth.login", srv.url))
            .header("origin", &srv.url)
            .json(&json!({"email": "alice@x.io", "password": common::PASSWORD}))
            .send()
            .await
            .unwrap();
        let c = r.headers().get("set-cookie").unwrap().to_str().unwrap();
        c.split(';').next().unwrap().to_string()
    };
    let ws_url = srv.url.replace("http://", "ws://") + "/ws";
    let mut req = ws_url.as_str().into_client_request().unwrap();
    req.headers_mut().insert("cookie", cookie.parse().unwrap());
    req.headers_mut().insert("origin", srv.url.parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("cookie + own origin");
    assert_eq!(next(&mut ws).await["type"], "hello");

    let mut evil = ws_url.as_str().into_client_request().unwrap();
    evil.headers_mut().insert("cookie", cookie.parse().unwrap());
    evil.headers_mut().insert("origin", "https://evil.example".parse().unwrap());
    let err = tokio_tungstenite::connect_async(evil).await.unwrap_err();
    assert!(err.to_string().contains("403"), "{err}");
    let err = tokio_tungstenite::connect_async(ws_url.as_str()).await.unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");

    let alice =
        sqlx::query_scalar::<_, uuid::Uuid>("select member_id from member").fetch_one(&db).await.unwrap();
    let actor = app::auth::queries::actor_for_member(&db, alice, app::auth::AuthVia::Token).await.unwrap();
    let url = ticket_url(&srv, &token(&db, &actor).await).await;
    assert!(url.starts_with("ws://") && url.contains("/ws?ticket=wst-"), "{url}");
    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str()).await.unwrap();
    assert_eq!(next(&mut ws).await["type"], "hello");
    let err = tokio_tungstenite::connect_async(url.as_str()).await.unwrap_err();
    assert!(err.to_string().contains("401"), "a ticket works once: {err}");
    assert_eq!(common::count(&db, "ws_ticket").await, 0);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_kicked_member_stops_receiving_at_once(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let (ta, tb) = (token(&db, &alice).await, token(&db, &bob).await);
    let (_, b) =
        srv.call_bearer(&ta, "conversations.create", json!({"name": "ops", "is_private": true})).await;
    let ops = b["channel"]["id"].as_str().unwrap().to_string();
    srv.call_bearer(&ta, "conversations.invite", json!({"channel": ops, "users": [bob.member_id]})).await;
    let mut ws = connect(&srv, &tb, json!({})).await;
    post(&srv, &ta, &ops, "before").await;
    assert_eq!(next_event(&mut ws).await["message"]["text"], "before");

    let (s, body) =
        srv.call_bearer(&ta, "conversations.kick", json!({"channel": ops, "user": bob.member_id})).await;
    assert_eq!(s, 200, "{body}");
    let ev = next_event(&mut ws).await;
    assert_eq!(ev["type"], "member_left", "{ev}");
    assert_eq!(ev["user"], bob.member_id.to_string());
    post(&srv, &ta, &ops, "after the kick").await;
    post(&srv, &ta, &general(&db, &alice).await, "sentinel").await;
    let ev = next_event(&mut ws).await;
    assert_eq!(ev["message"]["text"], "sentinel", "nothing from #ops after the kick: {ev}");

    // Invited back: delivery resumes without reconnecting.
    srv.call_bearer(&ta, "conversations.invite", json!({"channel": ops, "users": [bob.member_id]})).await;
    assert_eq!(next_of(&mut ws, "member_joined").await["user"], bob.member_id.to_string());
    post(&srv, &ta, &ops, "welcome back").await;
    assert_eq!(next_of(&mut ws, "message_created").await["message"]["text"], "welcome back");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn resume_delivers_every_missed_message_once_in_order(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let (ta, tb) = (token(&db, &alice).await, token(&db, &bob).await);
    let g = general(&db, &alice).await;
    let mut ws = connect(&srv, &tb, json!({})).await;
    post(&srv, &ta, &g, "seen live").await;
    let last = next_event(&mut ws).await["message"]["seq"].as_i64().unwrap();
    drop(ws);

    for i in 0..60 {
        post(&srv, &ta, &g, &format!("offline {i}")).await;
    }
    // 40 more are posted while Bob reconnects and resumes.
    let (srv2_url, ta2, g2) = (srv.url.clone(), ta.clone(), g.clone());
    let poster = tokio::spawn(async move {
        let client = reqwest::Client::new();
        for i in 0..40 {
            let r = client
                .post(format!("{srv2_url}/api/chat.postMessage"))
                .bearer_auth(&ta2)
                .json(&json!({"channel": g2, "text": format!("during {i}")}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
    });
    let mut ws = open(&srv, &tb).await;
    let mut seqs = Vec::new();
    send(&mut ws, json!({"type": "resume", "channels": { g.clone(): last }})).await;
    while seqs.len() < 100 {
        let ev = next_event(&mut ws).await;
        if ev["type"] == "message_created" {
            seqs.push(ev["message"]["seq"].as_i64().unwrap());
        }
    }
    poster.await.unwrap();
    let sentinel = post(&srv, &ta, &g, "sentinel").await["seq"].as_i64().unwrap();
    loop {
        let ev = next_event(&mut ws).await;
        if ev["type"] == "message_created" {
            let seq = ev["message"]["seq"].as_i64().unwrap();
            if seq == sentinel {
                break;
            }
            seqs.push(seq);
        }
    }
    let expected: Vec<i64> = (last + 1..last + 101).collect();
    assert_eq!(seqs, expected, "all 100, once each, in order");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_lagging_client_is_told_to_resync_and_nobody_else_waits(db: PgPool) {
    let srv = Srv::start_with(db.clone(), |c| c.ws_queue = 8).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let slowpoke = member(&db, &alice, "Slow", Role::Member).await;
    let (ta, tb, ts) = (token(&db, &alice).await, token(&db, &bob).await, token(&db, &slowpoke).await);
    let g = general(&db, &alice).await;
    let mut fast = connect(&srv, &tb, json!({})).await;

    // A client with a tiny receive window that stops reading.
    let url = ticket_url(&srv, &ts).await;
    let addr = srv.url.trim_start_matches("http://").parse().unwrap();
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let stream = sock.connect(addr).await.unwrap();
    let stream = tokio_tungstenite::MaybeTlsStream::Plain(stream);
    let (mut slow, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();
    assert_eq!(next(&mut slow).await["type"], "hello");
    slow.send(Message::text(json!({"type": "resume"}).to_string())).await.unwrap();
    assert_eq!(next_of(&mut slow, "resumed").await["type"], "resumed");

    // ~80 KB per event, ~10 MB in all: more than the kernel buffers hold
    // (the send buffer grows to 4 MB at most), so the server's writes block.
    // In lockstep with the reading client, so that its own small queue
    // never fills however busy the machine is: it gets every message while
    // the other lags.
    let big = "lorem ipsum ".repeat(3333);
    for i in 0..120 {
        post(&srv, &ta, &g, &big).await;
        let got = next_of(&mut fast, "message_created").await;
        assert_eq!(got["type"], "message_created", "message {i} did not reach the reading client");
    }
    let (frames, code) = until_close(&mut slow).await;
    assert!(frames.iter().any(|f| f["type"] == "resync_required"), "got {} frames", frames.len());
    assert!(frames.iter().filter(|f| f["type"] == "message_created").count() < 120);
    assert_eq!(code, Some(4008));
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn malformed_unknown_and_oversized_frames_get_clear_answers(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let ta = token(&db, &alice).await;
    let mut ws = connect(&srv, &ta, json!({})).await;
    for (frame, code) in [
        ("{nope", "invalid_json"),
        ("[1,2,3]", "invalid_frame"),
        (r#"{"type":"self_destruct"}"#, "unknown_type"),
        (r#"{"type":"typing","channel":"not-a-uuid"}"#, "invalid_frame"),
    ] {
        ws.send(Message::text(frame)).await.unwrap();
        let e = next_of(&mut ws, "error").await;
        assert_eq!(e["code"], code, "{frame}: {e}");
    }
    send(&mut ws, json!({"type": "typing", "channel": uuid::Uuid::now_v7()})).await;
    assert_eq!(next_of(&mut ws, "error").await["code"], "channel_not_found");
    send(&mut ws, json!({"type": "ping", "id": 42})).await;
    assert_eq!(next_of(&mut ws, "pong").await["id"], 42, "still open after bad frames");

    ws.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    let (frames, code) = until_close(&mut ws).await;
    assert!(frames.iter().any(|f| f["code"] == "binary_not_supported"));
    assert_eq!(code, Some(1003));

    let mut ws = connect(&srv, &ta, json!({})).await;
    let huge = json!({"type": "ping", "pad": "x".repeat(64 * 1024)}).to_string();
    let _ = ws.send(Message::text(huge)).await;
    let (_, code) = until_close(&mut ws).await;
    assert_eq!(code, Some(1009));
    let (s, _) = srv.call_bearer(&ta, "auth.test", json!({})).await;
    assert_eq!(s, 200, "the server lives on");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn typing_reaches_the_channel_at_most_once_per_interval(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let (ta, tb) = (token(&db, &alice).await, token(&db, &bob).await);
    let g = general(&db, &alice).await;
    let mut a = connect(&srv, &ta, json!({})).await;
    let mut b = connect(&srv, &tb, json!({})).await;
    send(&mut b, json!({"type": "typing", "channel": g})).await;
    send(&mut b, json!({"type": "typing", "channel": g})).await;
    send(&mut b, json!({"type": "ping", "id": 1})).await;
    next_of(&mut b, "pong").await; // both typing frames were handled
    post(&srv, &tb, &g, "done typing").await;
    let t = next_event(&mut a).await;
    assert_eq!(t["type"], "typing", "{t}");
    assert_eq!(t["user_name"], "Bob");
    assert_eq!(t["thread_seq"], serde_json::Value::Null);
    let m = next_event(&mut a).await;
    assert_eq!(m["type"], "message_created", "the second typing frame was throttled: {m}");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn presence_follows_connections_and_the_away_setting(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let (ta, tb) = (token(&db, &alice).await, token(&db, &bob).await);
    let bob_id = bob.member_id.to_string();
    let mut a = connect(&srv, &ta, json!({})).await;
    let get = |t: String| {
        let srv = &srv;
        let bob_id = bob_id.clone();
        async move { srv.call_bearer(&t, "users.getPresence", json!({"user": bob_id})).await.1 }
    };
    assert_eq!(get(ta.clone()).await["presence"], "offline");

    let b = connect(&srv, &tb, json!({})).await;
    let p = presence_of(&mut a, &bob_id).await;
    assert_eq!((p["presence"].as_str(), p["manual_away"].as_bool()), (Some("online"), Some(false)));
    assert_eq!(get(ta.clone()).await["presence"], "online");
    let (_, many) = srv
        .call_bearer(&ta, "users.presence", json!({"users": [bob_id, alice.member_id, uuid::Uuid::now_v7()]}))
        .await;
    assert_eq!(many["presence"].as_array().unwrap().len(), 2, "unknown ids are left out: {many}");

    srv.call_bearer(&tb, "users.setPresence", json!({"presence": "away"})).await;
    let p = presence_of(&mut a, &bob_id).await;
    assert_eq!((p["presence"].as_str(), p["manual_away"].as_bool()), (Some("idle"), Some(true)));
    srv.call_bearer(&tb, "users.setPresence", json!({"presence": "auto"})).await;
    assert_eq!(presence_of(&mut a, &bob_id).await["presence"], "online");
    let bad = srv.call_bearer(&tb, "users.setPresence", json!({"presence": "invisible"})).await;
    common::assert_error(&bad, 400, "invalid_arguments");

    drop(b); // the last tab closes
    assert_eq!(presence_of(&mut a, &bob_id).await["presence"], "offline");
    let outsider = owner(&db, "eve@y.io", "Other").await;
    let te = token(&db, &outsider).await;
    let hidden = srv.call_bearer(&te, "users.getPresence", json!({"user": bob_id})).await;
    common::assert_error(&hidden, 404, "user_not_found");
}
