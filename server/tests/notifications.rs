//! Notification preferences over the Web API (`users.prefs.*`, `dnd.*`,
//! `conversations.mute`/`setNotificationPref`, `threads.follow`): a member
//! sets their default, keywords, a snooze and a daily quiet period, and mutes
//! a conversation;
//! their other sockets hear the whole new preferences at once and nobody
//! else hears anything; bad input is refused with nothing stored; a
//! conversation the caller is not in is `channel_not_found`; replying to a
//! thread (or being mentioned in a reply) follows it.

mod common;

use app::auth::Role;
use common::ws::{connect, general, next_of, post, token};
use common::{assert_error, member, owner, Srv};
use serde_json::{json, Value};
use sqlx::PgPool;

async fn stored(db: &PgPool, member: uuid::Uuid) -> Value {
    let row: (String, Vec<String>, Option<i16>, Option<i16>, bool) = sqlx::query_as(
        "select notify_level, notify_keywords, dnd_start, dnd_end, dnd_until is not null from member
          where member_id = $1",
    )
    .bind(member)
    .fetch_one(db)
    .await
    .unwrap();
    let muted: i64 = sqlx::query_scalar("select count(*) from channel_member where member_id = $1 and muted")
        .bind(member)
        .fetch_one(db)
        .await
        .unwrap();
    json!([row.0, row.1, row.2, row.3, row.4, muted])
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn preferences_are_kept_announced_to_the_member_only_and_checked(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let (ta, tb) = (token(&db, &alice).await, token(&db, &bob).await);
    let gen = general(&db, &alice).await;
    let mut alice_tab = connect(&srv, &ta, json!({})).await;
    let mut bob_tab = connect(&srv, &tb, json!({})).await;

    // The defaults.
    let (s, r) = srv.call_bearer(&ta, "users.prefs.get", json!({})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["prefs"]["level"], "mentions");
    assert_eq!(r["prefs"]["keywords"], json!([]));
    assert_eq!(r["prefs"]["channels"], json!([]));

    // Default level and keywords (cleaned); a snooze and a schedule.
    let set = json!({"level": "all", "keywords": [" Deploy ", "deploy", "Launch plan", ""]});
    let (s, r) = srv.call_bearer(&ta, "users.prefs.set", set).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["prefs"]["level"], "all");
    assert_eq!(r["prefs"]["keywords"], json!(["deploy", "launch plan"]));
    let ev = next_of(&mut alice_tab, "notify_prefs_changed").await;
    assert_eq!(ev["prefs"]["keywords"], json!(["deploy", "launch plan"]));
    let (s, r) =
        srv.call_bearer(&ta, "dnd.set", json!({"snooze_minutes": 30, "schedule": "22:00-08:00"})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["prefs"]["schedule"], json!({"start": 1320, "end": 480}));
    let (_, info) = srv.call_bearer(&ta, "dnd.info", json!({})).await;
    assert!(info["snooze_until"].is_string(), "{info}");
    assert_eq!(info["schedule"], json!({"start": 1320, "end": 480}));
    let ev = next_of(&mut alice_tab, "notify_prefs_changed").await;
    assert!(ev["prefs"]["dnd_until"].is_string(), "{ev}");

    // Mute #general and set its level; then unmute and follow the default.
    let (s, r) = srv.call_bearer(&ta, "conversations.mute", json!({"channel": gen})).await;
    assert_eq!(s, 200, "{r}");
    let (_, r) = srv
        .call_bearer(&ta, "conversations.setNotificationPref", json!({"channel": gen, "level": "nothing"}))
        .await;
    assert_eq!(r["prefs"]["channels"], json!([{"channel": gen, "muted": true, "level": "nothing"}]));
    let ev = next_of(&mut alice_tab, "notify_prefs_changed").await;
    assert_eq!(ev["prefs"]["channels"][0]["muted"], true);
    srv.call_bearer(&ta, "conversations.unmute", json!({"channel": gen})).await;
    let (_, r) = srv
        .call_bearer(&ta, "conversations.setNotificationPref", json!({"channel": gen, "level": "default"}))
        .await;
    assert_eq!(r["prefs"]["channels"], json!([]), "{r}");
    // Ending the snooze keeps the schedule; an empty schedule ends it.
    let (_, r) = srv.call_bearer(&ta, "dnd.end", json!({})).await;
    assert!(r["prefs"]["dnd_until"].is_null() && r["prefs"]["schedule"].is_object(), "{r}");
    let (_, r) = srv.call_bearer(&ta, "dnd.set", json!({"schedule": ""})).await;
    assert!(r["prefs"]["schedule"].is_null(), "{r}");
    assert_eq!(r["prefs"]["level"], "all", "omitted fields stay");
    let (_, info) = srv.call_bearer(&ta, "dnd.info", json!({})).await;
    assert!(info["snooze_until"].is_null() && info["schedule"].is_null(), "{info}");

    // Bob's socket heard none of it: the next event he gets is his own post's.
    post(&srv, &tb, &gen, "after all that").await;
    let ev = next_of(&mut bob_tab, "message_created").await;
    assert_eq!(ev["message"]["text"], "after all that");
    let (_, r) = srv.call_bearer(&tb, "users.prefs.get", json!({})).await;
    assert_eq!(r["prefs"]["level"], "mentions", "Bob's own are untouched");

    // Bad input: a clear error, and nothing stored.
    let before = stored(&db, alice.member_id).await;
    let bad = [
        ("users.prefs.set", json!({"level": "loud"})),
        ("users.prefs.set", json!({"keywords": ["x".repeat(61)]})),
        ("users.prefs.set", json!({"keywords": (0..51).map(|i| format!("w{i}")).collect::<Vec<_>>()})),
        ("users.prefs.set", json!({"keywords": ["bell\u{7}"]})),
        ("dnd.set", json!({"snooze_minutes": 0})),
        ("dnd.set", json!({"snooze_minutes": -5})),
        ("dnd.set", json!({"snooze_minutes": 10081})),
        ("dnd.set", json!({"schedule": "25:00-08:00"})),
        ("dnd.set", json!({"schedule": "08:00-08:00"})),
        ("dnd.set", json!({"schedule": "<script>"})),
        ("conversations.setNotificationPref", json!({"channel": gen, "level": "loud"})),
    ];
    for (method, body) in bad {
        let got = srv.call_bearer(&ta, method, body.clone()).await;
        assert_error(&got, 400, "invalid_arguments");
    }
    let (s, r) =
        srv.call_bearer(&ta, "users.prefs.set", json!({"level": "nothing", "keywords": "soon"})).await;
    assert!(s == 400 && (r["error"] == "invalid_json" || r["error"] == "invalid_arguments"), "{s} {r}");
    assert_eq!(stored(&db, alice.member_id).await, before, "nothing stored by refused calls");

    // A conversation the caller is not in, or of another workspace: not found.
    let (s, r) =
        srv.call_bearer(&ta, "conversations.create", json!({"name": "secret", "is_private": true})).await;
    assert_eq!(s, 200, "{r}");
    let secret = r["channel"]["id"].as_str().unwrap().to_string();
    for (method, extra) in [
        ("conversations.mute", json!({})),
        ("conversations.setNotificationPref", json!({"level": "all"})),
        ("threads.follow", json!({"thread_seq": 1})),
    ] {
        let mut body = json!({"channel": secret});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let got = srv.call_bearer(&tb, method, body).await;
        assert_error(&got, 404, "channel_not_found");
    }
    let eve = owner(&db, "eve@y.io", "Other").await;
    let te = token(&db, &eve).await;
    let got = srv.call_bearer(&te, "conversations.mute", json!({"channel": gen})).await;
    assert_error(&got, 404, "channel_not_found");
    assert_eq!(stored(&db, bob.member_id).await[5], 0);
    // A public channel Bob has not joined: nothing to mute either.
    let (_, r) = srv.call_bearer(&ta, "conversations.create", json!({"name": "open"})).await;
    let open = r["channel"]["id"].as_str().unwrap().to_string();
    let got = srv.call_bearer(&tb, "conversations.mute", json!({"channel": open})).await;
    assert_error(&got, 404, "channel_not_found");
    // Anonymous callers are not signed in.
    let got = srv.call("users.prefs.get", json!({})).await;
    assert_error(&got, 401, "not_authed");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn replying_or_being_mentioned_in_a_reply_follows_the_thread(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let cat = member(&db, &alice, "Cat", Role::Member).await;
    let dan = member(&db, &alice, "Dan", Role::Member).await;
    let (ta, tb, tc, td) =
        (token(&db, &alice).await, token(&db, &bob).await, token(&db, &cat).await, token(&db, &dan).await);
    let gen = general(&db, &alice).await;
    let root = post(&srv, &ta, &gen, "a question").await;
    let seq = root["seq"].as_i64().unwrap();
    let reply = json!({"channel": gen, "thread_seq": seq, "text": "an answer, @Cat"});
    let (s, r) = srv.call_bearer(&tb, "chat.postMessage", reply).await;
    assert_eq!(s, 200, "{r}");
    let follows = |t: String| {
        let srv = &srv;
        async move {
            let (_, r) = srv.call_bearer(&t, "users.prefs.get", json!({})).await;
            r["threads"].clone()
        }
    };
    let thread = json!([{"channel": gen, "thread_seq": seq}]);
    assert_eq!(follows(ta.clone()).await, thread, "the starter follows");
    assert_eq!(follows(tb.clone()).await, thread, "the replier follows");
    assert_eq!(follows(tc.clone()).await, thread, "the mentioned member follows");
    assert!(follows(td.clone()).await.is_null(), "a bystander does not");
    // A second reply adds nothing twice.
    let (s, _) = srv
        .call_bearer(&tb, "chat.postMessage", json!({"channel": gen, "thread_seq": seq, "text": "more"}))
        .await;
    assert_eq!(s, 200);
    let rows: i64 = sqlx::query_scalar("select count(*) from thread_follow").fetch_one(&db).await.unwrap();
    assert_eq!(rows, 3);

    // Dan follows by hand (his other tab hears it), then unfollows.
    let mut dan_tab = common::ws::connect(&srv, &td, json!({})).await;
    let (s, r) = srv.call_bearer(&td, "threads.follow", json!({"channel": gen, "thread_seq": seq})).await;
    assert_eq!(s, 200, "{r}");
    let ev = next_of(&mut dan_tab, "thread_follow").await;
    assert_eq!((ev["thread_seq"].as_i64(), ev["following"].as_bool()), (Some(seq), Some(true)));
    assert_eq!(follows(td.clone()).await, thread);
    let (s, _) = srv.call_bearer(&td, "threads.unfollow", json!({"channel": gen, "thread_seq": seq})).await;
    assert_eq!(s, 200);
    assert!(follows(td.clone()).await.is_null());
    // Only a thread's root can be followed.
    let reply_seq = r_seq(&db, &gen).await;
    let got = srv.call_bearer(&td, "threads.follow", json!({"channel": gen, "thread_seq": reply_seq})).await;
    assert_error(&got, 404, "message_not_found");
    let got = srv.call_bearer(&td, "threads.follow", json!({"channel": gen, "thread_seq": 9999})).await;
    assert_error(&got, 404, "message_not_found");
}

/// The newest reply's seq in `channel`.
async fn r_seq(db: &PgPool, channel: &str) -> i64 {
    sqlx::query_scalar("select max(seq) from message where channel_id = $1::uuid and thread_seq is not null")
        .bind(channel)
        .fetch_one(db)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_threads_view_lists_followed_threads_with_unread_replies(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let (ta, tb) = (token(&db, &alice).await, token(&db, &bob).await);
    let gen = general(&db, &alice).await;
    let list = |t: String| {
        let srv = &srv;
        async move {
            let (s, r) = srv.call_bearer(&t, "threads.list", json!({})).await;
            assert_eq!(s, 200, "{r}");
            r["threads"].as_array().unwrap().clone()
        }
    };
    // A root without replies is not listed yet.
    let old = post(&srv, &ta, &gen, "older <b>question</b>").await["seq"].as_i64().unwrap();
    let new = post(&srv, &ta, &gen, "newer question").await["seq"].as_i64().unwrap();
    assert!(list(ta.clone()).await.is_empty());
    let reply = |seq: i64, text: &'static str| json!({"channel": gen, "thread_seq": seq, "text": text});
    srv.call_bearer(&tb, "chat.postMessage", reply(old, "first answer")).await;
    srv.call_bearer(&tb, "chat.postMessage", reply(new, "second answer")).await;
    let (_, last) = srv.call_bearer(&tb, "chat.postMessage", reply(new, "third answer")).await;
    let last_seq = last["message"]["seq"].as_i64().unwrap();

    // Newest activity first, with unread replies from others and the root inert.
    let t = list(ta.clone()).await;
    assert_eq!(t.len(), 2, "{t:?}");
    assert_eq!((t[0]["thread_seq"].as_i64(), t[0]["unread"].as_i64()), (Some(new), Some(2)));
    assert_eq!((t[1]["thread_seq"].as_i64(), t[1]["unread"].as_i64()), (Some(old), Some(1)));
    assert_eq!(t[0]["channel_label"], "#general");
    assert_eq!(t[0]["reply_count"], 2);
    assert_eq!(t[0]["latest_reply_seq"].as_i64(), Some(last_seq));
    assert!(!t[1]["root_html"].as_str().unwrap().contains("<b>"), "{}", t[1]["root_html"]);
    // Bob's own replies are not unread to him.
    assert!(list(tb.clone()).await.iter().all(|x| x["unread"] == 0));

    // Reading moves the marker forward only.
    let (s, _) = srv
        .call_bearer(&ta, "threads.mark", json!({"channel": gen, "thread_seq": new, "seq": last_seq}))
        .await;
    assert_eq!(s, 200);
    srv.call_bearer(&ta, "threads.mark", json!({"channel": gen, "thread_seq": new, "seq": 1})).await;
    let t = list(ta.clone()).await;
    assert_eq!((t[0]["thread_seq"].as_i64(), t[0]["unread"].as_i64()), (Some(new), Some(0)));
    // Paging on: `before` the newest thread's last reply gives the older one.
    let before = t[0]["last_reply_at"].as_str().unwrap();
    let (_, r) = srv.call_bearer(&ta, "threads.list", json!({"before": before, "limit": 1})).await;
    assert_eq!(r["threads"][0]["thread_seq"].as_i64(), Some(old), "{r}");

    // Leaving the channel hides its threads; bad input and outsiders are refused.
    let got = srv.call_bearer(&ta, "threads.list", json!({"limit": 0})).await;
    assert_error(&got, 400, "invalid_arguments");
    let got = srv.call_bearer(&ta, "threads.list", json!({"before": "yesterday"})).await;
    assert_error(&got, 400, "invalid_arguments");
    let got =
        srv.call_bearer(&ta, "threads.mark", json!({"channel": gen, "thread_seq": new, "seq": -1})).await;
    assert_error(&got, 400, "invalid_arguments");
    let eve = owner(&db, "eve@y.io", "Other").await;
    let te = token(&db, &eve).await;
    let got =
        srv.call_bearer(&te, "threads.mark", json!({"channel": gen, "thread_seq": new, "seq": 9})).await;
    assert_error(&got, 404, "channel_not_found");
    assert!(list(te.clone()).await.is_empty());
    let (_, r) = srv.call_bearer(&ta, "conversations.create", json!({"name": "ops"})).await;
    let ops = r["channel"]["id"].as_str().unwrap().to_string();
    srv.call_bearer(&tb, "conversations.join", json!({"channel": ops})).await;
    let root = post(&srv, &ta, &ops, "ops question").await["seq"].as_i64().unwrap();
    srv.call_bearer(
        &tb,
        "chat.postMessage",
        json!({"channel": ops, "thread_seq": root, "text": "ops answer"}),
    )
    .await;
    assert_eq!(list(tb.clone()).await.len(), 3);
    let (s, r) = srv.call_bearer(&tb, "conversations.leave", json!({"channel": ops})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(list(tb.clone()).await.len(), 2, "threads of a channel left are not listed");
}
