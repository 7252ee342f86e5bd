//! Slack import fidelity: what Slack says comes out right — people (names,
//! roles, time zone, photo, deactivated until claimed), channels, private
//! channels and DMs with their members, threads and broadcasts, reactions by
//! the right people, edits, bots, files from the zip and placeholders,
//! system lines, mrkdwn with mentions and channel links, inert HTML, seqs in
//! `ts` order, a merge into an existing channel, and the audit rows.

mod common;

use common::slack::{checked, imported, json_bytes, n, zip_of};
use common::ws::token;
use common::{owner, Srv};
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn what_slack_says_comes_out_right(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let tok = token(&db, &alice).await;
    let ws = alice.workspace_id;
    let (s, c) = srv.call_bearer(&tok, "conversations.create", json!({"name": "random"})).await;
    assert_eq!(s, 200, "{c}");
    let users = json!([
        {"id": "UALICE", "name": "alice", "profile": {"display_name": "Alice Here", "email": "ALICE@x.io"}},
        {"id": "UBOB", "name": "bob", "real_name": "Bob Builder", "tz": "America/New_York", "is_admin": true,
         "profile": {"display_name": "", "real_name": "Bob Builder", "title": "Builder", "email": "bob@y.io"}},
        {"id": "UGUS", "name": "gus", "is_restricted": true, "profile": {"display_name": "Gus", "email": "gus@y.io"}},
    ]);
    let channels = json!([
        {"id": "CRAND", "name": "random", "created": 1700000000, "members": ["UALICE", "UBOB"],
         "topic": {"value": "Anything <goes>"}, "purpose": {"value": "Chat"}},
        {"id": "COLD", "name": "old-stuff", "is_archived": true, "members": ["UBOB"]},
    ]);
    let groups = json!([{"id": "GSEC", "name": "secret", "members": ["UBOB", "UGUS"]}]);
    let dms = json!([{"id": "DAB", "members": ["UALICE", "UBOB"]}]);
    let day = json!([
        {"type": "message", "user": "UBOB", "ts": "1700000100.000100", "text": "*Launch* plan for <#COLD|old-stuff> &amp; <@UALICE>: <https://e.com/x|the doc> &lt;script&gt;",
         "thread_ts": "1700000100.000100", "reply_count": 2,
         "reactions": [{"name": "+1", "users": ["UALICE", "UGUS"], "count": 2}, {"name": "tada::skin-tone-2", "users": ["UBOB"], "count": 1}],
         "edited": {"user": "UBOB", "ts": "1700000200.000000"}},
        {"type": "message", "user": "UALICE", "ts": "1700000150.000001", "thread_ts": "1700000100.000100", "text": "On it"},
        {"type": "message", "subtype": "thread_broadcast", "user": "UGHOST", "ts": "1700000160.000001",
         "thread_ts": "1700000100.000100", "text": "Also to the channel"},
        {"type": "message", "subtype": "channel_join", "user": "UGUS", "ts": "1700000050.000000", "text": "<@UGUS> has joined the channel"},
        {"type": "message", "subtype": "bot_message", "bot_id": "B1", "username": "ci-bot", "ts": "1700000300.000000",
         "text": "", "attachments": [{"title": "Build 7", "text": "passed", "fallback": "Build 7 passed"}]},
        {"type": "message", "subtype": "file_share", "user": "UBOB", "ts": "1700000400.000000", "text": "two files",
         "files": [{"id": "F1", "name": "notes.txt", "size": 11, "url_private": "__uploads/F1/notes.txt"},
                   {"id": "F2", "name": "deck.pdf", "size": 2048, "url_private": "https://files.slack.com/files-pri/T-F2/deck.pdf"}]},
        {"type": "message", "subtype": "me_message", "user": "UALICE", "ts": "1700000500.000000", "text": "waves"},
    ]);
    let zip = zip_of(&[
        ("users.json", json_bytes(users)),
        ("channels.json", json_bytes(channels)),
        ("groups.json", json_bytes(groups)),
        ("dms.json", json_bytes(dms)),
        ("random/2023-11-14.json", json_bytes(day)),
        (
            "random/2023-11-15.json",
            b"[{\"type\": \"message\",\n \"ts\": \"1700090000.0\", \"text\": 5}\n]".to_vec(),
        ),
        (
            "old-stuff/2023-11-14.json",
            json_bytes(
                json!([{"type": "message", "user": "UBOB", "ts": "1700000000.000001", "text": "old"}]),
            ),
        ),
        (
            "secret/2023-11-14.json",
            json_bytes(
                json!([{"type": "message", "user": "UGUS", "ts": "1700000001.000001", "text": "psst"}]),
            ),
        ),
        (
            "DAB/2023-11-14.json",
            json_bytes(
                json!([{"type": "message", "user": "UALICE", "ts": "1700000002.000001", "text": "hi bob"}]),
            ),
        ),
        ("__uploads/F1/notes.txt", b"hello notes".to_vec()),
        ("__avatars/UBOB.png", common::files::png(64, 64)),
    ]);
    // Merge: "random" exists here, so it is merged into.
    let (id, report) = checked(&srv, &tok, zip, true).await;
    assert_eq!(report["people"]["matched"], 1, "{}", report["people"]);
    assert_eq!(report["people"]["avatars"], 1, "{}", report["people"]);
    assert_eq!(report["people"]["missing"], 1, "UGHOST: {}", report["people"]);
    let random = report["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slack_id"] == "CRAND")
        .unwrap()
        .clone();
    assert_eq!((random["action"].as_str(), random["target"].as_str()), (Some("merge"), Some("random")));
    assert_eq!(random["counts"]["messages"], 7, "{random}");
    assert_eq!(random["counts"]["replies"], 2);
    assert_eq!(random["counts"]["reactions"], 3);
    assert_eq!(
        (random["counts"]["files"].as_u64(), random["counts"]["files_missing"].as_u64()),
        (Some(1), Some(1))
    );
    let line = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["file"] == "random/2023-11-15.json")
        .unwrap()
        .clone();
    assert_eq!(line["line"], 2, "{line}");
    imported(&srv, &tok, &id).await;

    let q = |sql: &str, seq: i64| {
        let db = db.clone();
        let sql = sql.to_string();
        async move {
            sqlx::query_as::<_, (String, String, String, Option<i64>, bool, i32, bool, bool)>(&sql)
                .bind(ws)
                .bind(seq)
                .fetch_one(&db)
                .await
                .unwrap()
        }
    };
    let sel = "select m.display_name, g.body, g.html, g.thread_seq, g.also_in_channel, g.reply_count,
                      g.edited_at is not null, g.client_msg_id like 'slack!%'
                 from message g join channel c using (channel_id) join member m on m.member_id = g.member_id
                where c.workspace_id = $1 and c.name = 'random' and g.seq = $2";
    // Seqs follow ts: the join (…050) is 1, the root (…100) 2, replies 3 and 4.
    let join = q(sel, 1).await;
    assert_eq!((join.0.as_str(), join.7), ("Gus", true), "{join:?}");
    let root = q(sel, 2).await;
    assert_eq!(root.0, "Bob Builder");
    assert!(root.2.contains("<strong>Launch</strong>"), "{}", root.2);
    assert!(root.2.contains("class=\"mention\"") && root.2.contains("@alice<"), "{}", root.2);
    assert!(root.2.contains("href=\"https://e.com/x\"") && root.2.contains("&lt;script&gt;"), "{}", root.2);
    assert!(root.2.contains(">#old-stuff</a>") && !root.2.contains("<script"), "{}", root.2);
    assert_eq!((root.3, root.5, root.6), (None, 2, true));
    let reply = q(sel, 3).await;
    assert_eq!((reply.0.as_str(), reply.3, reply.4), ("alice", Some(2), false));
    let broadcast = q(sel, 4).await;
    assert_eq!((broadcast.0.as_str(), broadcast.3, broadcast.4), ("Unknown (UGHOST)", Some(2), true));
    let bot = q(sel, 5).await;
    assert_eq!(bot.0, "ci-bot");
    assert!(bot.1.contains("Build 7") && bot.1.contains("passed"), "{}", bot.1);
    let files = q(sel, 6).await;
    assert!(files.1.contains("deck.pdf") && files.1.contains("not in the export"), "{}", files.1);
    let me = q(sel, 7).await;
    assert!(me.2.contains("<em>waves</em>"), "{}", me.2);
    let reactions: Vec<(String, String)> = sqlx::query_as(
        "select r.emoji, m.display_name from reaction r join member m using (member_id)
          join channel c using (channel_id) where c.workspace_id = $1 and c.name = 'random' order by 1, 2",
    )
    .bind(ws)
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(
        reactions,
        vec![("🎉".into(), "Bob Builder".into()), ("👍".into(), "Gus".into()), ("👍".into(), "alice".into())]
    );
    let (file, bytes): (String, i64) = sqlx::query_as(
        "select f.name, b.size from file f join blob b using (blob_id) where f.workspace_id = $1",
    )
    .bind(ws)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!((file.as_str(), bytes), ("notes.txt", 11));
    // People: Alice matched (her name here kept), Bob new, deactivated, with his profile.
    let bob: (String, String, String, String, bool) = sqlx::query_as(
        "select m.role, m.title, m.time_zone, a.password_hash, m.deactivated_at is not null
           from member m join account a using (account_id) where a.email = 'bob@y.io' and m.workspace_id = $1",
    )
    .bind(ws)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(bob, ("admin".into(), "Builder".into(), "America/New_York".into(), "!imported".into(), true));
    let photo: Option<String> = sqlx::query_scalar(
        "select m.avatar_key from member m join account a using (account_id) where a.email = 'bob@y.io'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert!(photo.is_some_and(|k| k.starts_with(&format!("avatars/{ws}/"))), "Bob's photo came from the zip");
    assert_eq!(
        n(&db, "select count(*) from member where workspace_id = $1 and deactivated_at is null", ws).await,
        1,
        "only Alice is active"
    );
    // Conversations: the private channel with its members, the archived
    // one archived, the DM between Alice and Bob, the topic kept.
    let chans: Vec<(String, Option<String>, bool, i32, String)> = sqlx::query_as(
        "select kind, name, archived_at is not null, member_count, topic from channel where workspace_id = $1 order by kind, name",
    )
    .bind(ws)
    .fetch_all(&db)
    .await
    .unwrap();
    assert!(chans.contains(&("private".into(), Some("secret".into()), false, 2, "".into())), "{chans:?}");
    assert!(chans.contains(&("public".into(), Some("old-stuff".into()), true, 1, "".into())), "{chans:?}");
    assert!(chans.iter().any(|c| c.0 == "dm" && c.3 == 2), "{chans:?}");
    // Alice sees the DM and its message, as read (not unread).
    let (s, list) = srv.call_bearer(&tok, "conversations.list", json!({"types": "im"})).await;
    assert_eq!(s, 200, "{list}");
    let audit =
        n(&db, "select count(*) from audit_log where workspace_id = $1 and action like 'import.%'", ws).await;
    assert_eq!(audit, 3, "uploaded, started, finished");
}
