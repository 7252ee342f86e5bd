//! The write path: every write emits its events on commit and only when it
//! changed something, a sender that hangs up is still delivered, and a post
//! racing a kick is refused or delivered, never stored and hidden.

mod common;

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use app::auth::Role;
use app::core::catalog;
use common::ws::{connect, general, next, token, Ws};
use common::{member, owner, Srv};
use futures_util::StreamExt;
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message;

#[test]
fn every_api_method_is_catalogued_exactly_once() {
    let registered: BTreeSet<String> = server_fn::axum::server_fn_paths()
        .filter_map(|(p, _)| p.strip_prefix("/api/").map(str::to_string))
        .chain(server::api_gateway::PLAIN_METHODS.iter().map(|p| p["/api/".len()..].to_string()))
        .collect();
    let mut listed: Vec<&str> = catalog::EMITTING.to_vec();
    listed.extend(catalog::SILENT.iter().map(|(m, _)| *m));
    listed.extend(catalog::READS);
    let unique: BTreeSet<String> = listed.iter().map(|m| m.to_string()).collect();
    assert_eq!(unique.len(), listed.len(), "a method is listed twice");
    assert_eq!(unique, registered, "catalogue and registered methods differ");
}

/// The caller's socket and a way to learn what one call announced to it.
struct Watch<'a> {
    srv: &'a Srv,
    tok: String,
    ws: Ws,
    general: String,
    mark: i64,
}

impl Watch<'_> {
    /// Makes `call`, then a read-marker move as a sentinel (it travels the
    /// same path after it); returns the types of the events in between.
    async fn events(&mut self, method: &str, body: Value) -> Vec<String> {
        self.stamped(method, body).await.into_iter().map(|(t, _)| t).collect()
    }

    /// As [`Self::events`], with each event's `channel_seq`.
    async fn stamped(&mut self, method: &str, body: Value) -> Vec<(String, Option<i64>)> {
        let (s, b) = self.srv.call_bearer(&self.tok, method, body).await;
        assert_eq!(s, 200, "{method}: {b}");
        println!("{method}");
        self.mark = 1 - self.mark;
        let sentinel = json!({"channel": self.general, "seq": self.mark});
        let (s, b) = self.srv.call_bearer(&self.tok, "conversations.mark", sentinel).await;
        assert_eq!(s, 200, "{b}");
        let mut types = Vec::new();
        loop {
            let v = next(&mut self.ws).await;
            let t = v["type"].as_str().unwrap().to_string();
            if t == "read_marker" && v["channel"] == self.general && v["seq"] == self.mark {
                return types;
            }
            let marker = t == "read_marker" && v["channel"] == self.general;
            if t != "presence" && t != "typing" && !marker {
                types.push((t, v["channel_seq"].as_i64()));
            }
        }
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn writes_announce_what_changed_and_repeats_announce_nothing(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let tok = token(&db, &alice).await;
    let g = general(&db, &alice).await;
    common::ws::post(&srv, &tok, &g, "so general has a seq to mark").await;
    let ws = connect(&srv, &tok, json!({})).await;
    // The sentinel moves the marker between 0 and 1: start it at 1.
    let (s, b) = srv.call_bearer(&tok, "conversations.mark", json!({"channel": g, "seq": 1})).await;
    assert_eq!(s, 200, "{b}");
    let mut w = Watch { srv: &srv, tok: tok.clone(), ws, general: g.clone(), mark: 1 };
    let bob_id = bob.member_id.to_string();

    let created = w.events("conversations.create", json!({"name": "proj"})).await;
    assert_eq!(created, ["channel_created", "member_joined"]);
    let c: uuid::Uuid = sqlx::query_scalar("select channel_id from channel where name = 'proj'")
        .fetch_one(&db)
        .await
        .unwrap();
    let c = c.to_string();
    assert_eq!(w.events("conversations.join", json!({"channel": c})).await, Vec::<String>::new());
    let invite = json!({"channel": c, "users": [bob_id]});
    assert_eq!(w.events("conversations.invite", invite.clone()).await, ["member_joined"]);
    assert!(w.events("conversations.invite", invite).await.is_empty(), "already in");
    let topic = json!({"channel": c, "topic": "ship it"});
    assert_eq!(w.events("conversations.setTopic", topic.clone()).await, ["channel_updated"]);
    assert!(w.events("conversations.setTopic", topic).await.is_empty());
    let rename = json!({"channel": c, "name": "proj2"});
    assert_eq!(w.events("conversations.rename", rename.clone()).await, ["channel_updated"]);
    assert!(w.events("conversations.rename", rename).await.is_empty());

    let post = json!({"channel": c, "text": "hello", "client_msg_id": "once"});
    assert_eq!(w.events("chat.postMessage", post.clone()).await, ["message_created"]);
    // A retry announces the original again (clients drop a seq they have).
    assert_eq!(w.events("chat.postMessage", post).await, ["message_created"]);
    let (seq, count) =
        sqlx::query_as::<_, (i64, i64)>("select max(seq), count(*) from message where channel_id = $1::uuid")
            .bind(&c)
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(count, 1, "the retry stored nothing");
    let at = json!({"channel": c, "seq": seq});
    let edit = json!({"channel": c, "seq": seq, "text": "hello again"});
    assert_eq!(w.events("chat.update", edit).await, ["message_updated"]);
    let react = json!({"channel": c, "seq": seq, "emoji": "thumbsup"});
    assert_eq!(w.events("reactions.add", react.clone()).await, ["reaction_added"]);
    assert_eq!(w.events("reactions.remove", react).await, ["reaction_removed"]);
    let reply = json!({"channel": c, "text": "in thread", "thread_seq": seq});
    // Every channel event carries the channel's seq once committed: the
    // reply took seq + 1, and a later delete of the root says so too.
    let (created, thread) =
        (("message_created".to_string(), Some(seq + 1)), ("thread_reply".to_string(), Some(seq + 1)));
    assert_eq!(w.stamped("chat.postMessage", reply).await, [created, thread]);
    assert_eq!(w.stamped("chat.delete", at).await, [("message_deleted".to_string(), Some(seq + 1))]);

    let kick = json!({"channel": c, "user": bob_id});
    assert_eq!(w.events("conversations.kick", kick).await, ["member_left"]);
    let ch = json!({"channel": c});
    assert_eq!(w.events("conversations.archive", ch.clone()).await, ["channel_archived"]);
    assert!(w.events("conversations.archive", ch.clone()).await.is_empty(), "already archived");
    assert_eq!(w.events("conversations.unarchive", ch.clone()).await, ["channel_archived"]);
    let dm = json!({"users": [bob_id]});
    assert_eq!(w.events("conversations.open", dm.clone()).await, ["channel_created", "member_joined"]);
    assert!(w.events("conversations.open", dm).await.is_empty(), "the DM exists");
    assert_eq!(w.events("conversations.leave", ch).await, ["member_left"]);

    // Admin changes to a member are announced to the workspace.
    let to_admin = json!({"user": bob_id, "role": "admin"});
    assert_eq!(w.events("admin.users.setRole", to_admin.clone()).await, ["member_updated"]);
    assert!(w.events("admin.users.setRole", to_admin).await.is_empty(), "already an admin");
    let who = json!({"user": bob_id});
    assert_eq!(w.events("admin.users.deactivate", who.clone()).await, ["member_updated"]);
    assert!(w.events("admin.users.deactivate", who.clone()).await.is_empty(), "already deactivated");
    assert_eq!(w.events("admin.users.reactivate", who.clone()).await, ["member_updated"]);
    assert!(w.events("admin.users.reactivate", who).await.is_empty(), "already active");

    // Workspace settings are announced to the workspace, once.
    let (_, current) = srv.call_bearer(&w.tok, "admin.settings.get", json!({})).await;
    let mut settings = current.clone();
    settings.as_object_mut().unwrap().remove("ok");
    settings["rules"]["archive_channels"] = json!("admins");
    let set = json!({ "settings": settings });
    assert_eq!(w.events("admin.settings.set", set.clone()).await, ["workspace_updated"]);
    assert!(w.events("admin.settings.set", set).await.is_empty(), "nothing changed");

    // A profile or status change is announced to the workspace.
    let me = json!({"display_name": "Alice A", "full_name": "", "title": "CEO", "time_zone": "UTC"});
    assert_eq!(w.events("users.profile.set", me).await, ["profile_updated"]);
    let status = json!({"emoji": "🎉", "text": "Launch day"});
    assert_eq!(w.events("users.status.set", status).await, ["profile_updated"]);

    // Notification preferences go to the member's own sockets, once.
    let prefs = json!({"level": "all", "keywords": ["deploy"]});
    assert_eq!(w.events("users.prefs.set", prefs.clone()).await, ["notify_prefs_changed"]);
    assert!(w.events("users.prefs.set", prefs).await.is_empty(), "nothing changed");
    let snooze = json!({"snooze_minutes": 60});
    assert_eq!(w.events("dnd.set", snooze).await, ["notify_prefs_changed"]);
    assert_eq!(w.events("dnd.end", json!({})).await, ["notify_prefs_changed"]);
    assert!(w.events("dnd.end", json!({})).await.is_empty(), "no snooze to end");
    let ch = json!({"channel": w.general.clone()});
    assert_eq!(w.events("conversations.mute", ch.clone()).await, ["notify_prefs_changed"]);
    assert!(w.events("conversations.mute", ch.clone()).await.is_empty(), "already muted");
    assert_eq!(w.events("conversations.unmute", ch.clone()).await, ["notify_prefs_changed"]);
    let level = json!({"channel": w.general.clone(), "level": "all"});
    assert_eq!(w.events("conversations.setNotificationPref", level).await, ["notify_prefs_changed"]);
    let post = json!({"channel": w.general.clone(), "text": "a thread to follow"});
    assert_eq!(w.events("chat.postMessage", post).await, ["message_created"]);
    let root: i64 = sqlx::query_scalar("select last_seq from channel where channel_id = $1::uuid")
        .bind(&w.general)
        .fetch_one(&db)
        .await
        .unwrap();
    let t = json!({"channel": w.general.clone(), "thread_seq": root});
    assert_eq!(w.events("threads.follow", t.clone()).await, ["thread_follow"]);
    assert!(w.events("threads.follow", t.clone()).await.is_empty(), "already followed");
    assert_eq!(w.events("threads.unfollow", t).await, ["thread_follow"]);

    // Accepting an invite joins #general, and #general hears of it.
    let ctx = app::core::ctx::Ctx::new(db.clone(), srv.rt.hub.bus().clone());
    let inv = app::invites::actions::create(&db, &alice, Role::Member, 24, 1).await.unwrap();
    let input = app::invites::actions::AcceptInput {
        token: inv.token,
        email: "dan@x.io".into(),
        password: common::PASSWORD.into(),
        display_name: "Dan".into(),
    };
    let limiter = app::ratelimit::Limits::local(1000, 1000);
    let dan = app::invites::actions::accept(&ctx, &limiter, None, input).await.unwrap();
    let joined = common::ws::next_of(&mut w.ws, "member_joined").await;
    assert_eq!(
        (joined["channel"].as_str(), joined["user"].as_str()),
        (Some(g.as_str()), Some(&*dan.member_id.to_string()))
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_sender_that_hangs_up_right_after_sending_is_still_delivered(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let (ta, tb) = (token(&db, &alice).await, token(&db, &bob).await);
    let g = general(&db, &alice).await;
    let mut watching = connect(&srv, &tb, json!({})).await;
    let addr = srv.url.trim_start_matches("http://").to_string();
    // Hang up at a later moment each time, from at once to 200 ms after sending, until
    // a few hung-up sends were stored: a server that is fast to notice the hang-up
    // drops the early ones unstored, which is fine (the client retries with the same
    // client_msg_id). What must never happen is stored and not delivered.
    let mut stored_count = 0i64;
    let mut tries = 0u64;
    while stored_count < 5 && tries < 200 {
        let i = tries;
        tries += 1;
        let body =
            json!({"channel": g, "text": format!("hang-up {i}"), "client_msg_id": format!("hangup-{i}")});
        let body = body.to_string();
        let req = format!(
            "POST /api/chat.postMessage HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {ta}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let mut sock = tokio::net::TcpStream::connect(&addr).await.unwrap();
        sock.write_all(req.as_bytes()).await.unwrap();
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(i)).await;
        }
        drop(sock);
        stored_count = sqlx::query_scalar("select count(*) from message where client_msg_id like 'hangup-%'")
            .fetch_one(&db)
            .await
            .unwrap();
    }
    common::ws::post(&srv, &ta, &g, "sentinel").await;
    let mut seen: HashSet<i64> = HashSet::new();
    loop {
        let v = next(&mut watching).await;
        if v["type"] == "message_created" {
            seen.insert(v["message"]["seq"].as_i64().unwrap());
            if v["message"]["text"] == "sentinel" {
                break;
            }
        }
    }
    let stored: Vec<i64> = sqlx::query_scalar("select seq from message where client_msg_id like 'hangup-%'")
        .fetch_all(&db)
        .await
        .unwrap();
    assert!(!stored.is_empty(), "no hung-up send was stored at all");
    // Anything stored after the sentinel must still arrive.
    while !stored.iter().all(|s| seen.contains(s)) {
        let v = next(&mut watching).await;
        if v["type"] == "message_created" {
            seen.insert(v["message"]["seq"].as_i64().unwrap());
        }
    }
    println!("{} of {tries} hung-up sends stored, all delivered live", stored.len());
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_post_racing_a_kick_is_refused_or_delivered_never_stored_and_hidden(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let carol = member(&db, &alice, "Carol", Role::Member).await;
    let (ta, tb, tc) = (token(&db, &alice).await, token(&db, &bob).await, token(&db, &carol).await);
    let mut channels = Vec::new();
    for i in 0..20 {
        let (s, b) = srv.call_bearer(&ta, "conversations.create", json!({"name": format!("race-{i}")})).await;
        assert_eq!(s, 200, "{b}");
        let c = b["channel"]["id"].as_str().unwrap().to_string();
        let users = json!([bob.member_id.to_string(), carol.member_id.to_string()]);
        let (s, b) =
            srv.call_bearer(&ta, "conversations.invite", json!({"channel": c, "users": users})).await;
        assert_eq!(s, 200, "{b}");
        channels.push(c);
    }
    let mut carols = connect(&srv, &tc, json!({})).await;
    let mut accepted = Vec::new();
    for c in &channels {
        let post = srv.call_bearer(&tb, "chat.postMessage", json!({"channel": c, "text": "racing"}));
        let kick = srv.call_bearer(
            &ta,
            "conversations.kick",
            json!({"channel": c, "user": bob.member_id.to_string()}),
        );
        let ((ps, pb), (ks, kb)) = tokio::join!(post, kick);
        assert_eq!(ks, 200, "{kb}");
        if ps == 200 {
            accepted.push((c.clone(), pb["message"]["seq"].as_i64().unwrap()));
        } else {
            assert_eq!(pb["error"], "not_in_channel", "{pb}");
        }
    }
    let stored: Vec<(String, i64)> = sqlx::query_as::<_, (uuid::Uuid, i64)>(
        "select channel_id, seq from message where body = 'racing' order by channel_id",
    )
    .fetch_all(&db)
    .await
    .unwrap()
    .into_iter()
    .map(|(c, s)| (c.to_string(), s))
    .collect();
    let mut want: Vec<(String, i64)> = accepted.clone();
    want.sort();
    let mut got_stored = stored.clone();
    got_stored.sort();
    assert_eq!(got_stored, want, "stored exactly the accepted posts");
    let mut delivered = HashSet::new();
    while delivered.len() < accepted.len() {
        let msg =
            tokio::time::timeout(Duration::from_secs(15), carols.next()).await.expect("undelivered post");
        if let Some(Ok(Message::Text(t))) = msg {
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            if v["type"] == "message_created" && v["message"]["text"] == "racing" {
                delivered.insert((
                    v["message"]["channel"].as_str().unwrap().to_string(),
                    v["message"]["seq"].as_i64().unwrap(),
                ));
            }
        }
    }
    assert_eq!(delivered, accepted.into_iter().collect::<HashSet<_>>());
    println!("{} of 20 racing posts were accepted and delivered; the rest refused", delivered.len());
}
