//! Retention (`admin.retention.*` and the job): a run deletes exactly the
//! messages past the cut (whole threads, with their files and reactions),
//! search stops finding them, open pages are told, channels with their own
//! policy are respected, nothing newer is touched, and the run is recorded
//! and audited.

mod common;

use std::collections::BTreeSet;

use app::auth::Role;
use common::files::{eventually, objects, upload_one};
use common::ws::{connect, general, next_of, post, token};
use common::{assert_error, member, owner, Srv};
use serde_json::{json, Value};
use sqlx::PgPool;

async fn backdate(db: &PgPool, channel: &str, seqs: &[i64], days: i32) {
    sqlx::query(
        "update message set created_at = now() - make_interval(days => $3),
                last_reply_at = case when reply_count > 0 then now() - make_interval(days => $3) end
          where channel_id = $1::uuid and seq = any($2)",
    )
    .bind(channel)
    .bind(seqs)
    .bind(days)
    .execute(db)
    .await
    .unwrap();
}

async fn seqs(db: &PgPool, channel: &str) -> BTreeSet<i64> {
    sqlx::query_scalar::<_, i64>("select seq from message where channel_id = $1::uuid")
        .bind(channel)
        .fetch_all(db)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

async fn found(srv: &Srv, tok: &str, word: &str) -> i64 {
    let (s, b) = srv.call_bearer(tok, "search.messages", json!({"query": word})).await;
    assert_eq!(s, 200, "{b}");
    b["messages"]["total"].as_i64().unwrap()
}

async fn reply(srv: &Srv, tok: &str, channel: &str, root: i64, text: &str) -> i64 {
    let body = json!({"channel": channel, "text": text, "thread_seq": root});
    let (s, b) = srv.call_bearer(tok, "chat.postMessage", body).await;
    assert_eq!(s, 200, "{b}");
    b["message"]["seq"].as_i64().unwrap()
}

/// Runs retention now and waits for the run to end; returns it.
async fn run(srv: &Srv, tok: &str) -> Value {
    let (s, b) = srv.call_bearer(tok, "admin.retention.run", json!({})).await;
    assert_eq!(s, 200, "{b}");
    let id = b["run"]["id"].as_str().unwrap().to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, v) = srv.call_bearer(tok, "admin.retention.get", json!({})).await;
        let r = v["runs"].as_array().unwrap().iter().find(|r| r["id"] == id.as_str()).cloned().unwrap();
        if r["status"] != "running" {
            return r;
        }
        assert!(std::time::Instant::now() < deadline, "the run did not end: {r}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn retention_deletes_exactly_what_is_past_the_cut(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let (ta, tb) = (token(&db, &alice).await, token(&db, &bob).await);
    let gen = general(&db, &alice).await;
    let (s, c) = srv.call_bearer(&ta, "conversations.create", json!({"name": "ops"})).await;
    assert_eq!(s, 200, "{c}");
    let ops = c["channel"]["id"].as_str().unwrap().to_string();

    // #general: an old lone message, an old thread, an old root whose thread
    // is still active, an old message with a file, and a new message.
    let lone = post(&srv, &ta, &gen, "zebracrossing lone").await["seq"].as_i64().unwrap();
    let old_root = post(&srv, &ta, &gen, "quagga thread").await["seq"].as_i64().unwrap();
    let old_reply = reply(&srv, &tb, &gen, old_root, "quagga answer").await;
    let live_root = post(&srv, &ta, &gen, "okapi thread").await["seq"].as_i64().unwrap();
    let file = upload_one(&srv, &ta, &gen, "notes.txt", b"retained notes".to_vec()).await;
    let file_seq = file["seq"].as_i64().expect("the file's message");
    let fresh = post(&srv, &ta, &gen, "zebracrossing fresh").await["seq"].as_i64().unwrap();
    let (s, b) =
        srv.call_bearer(&tb, "reactions.add", json!({"channel": gen, "seq": lone, "emoji": "tada"})).await;
    assert_eq!(s, 200, "{b}");
    backdate(&db, &gen, &[lone, old_root, old_reply, live_root, file_seq], 40).await;
    let live_reply = reply(&srv, &tb, &gen, live_root, "okapi answer today").await;
    // #ops keeps everything, whatever the workspace says.
    let ops_old = post(&srv, &ta, &ops, "zebracrossing in ops").await["seq"].as_i64().unwrap();
    backdate(&db, &ops, &[ops_old], 400).await;
    let objects_before = objects(&srv).await.len();
    assert_eq!(found(&srv, &ta, "zebracrossing").await, 3);

    // Bad input and outsiders change nothing.
    for days in [0, -1, 36501] {
        let got = srv.call_bearer(&ta, "admin.retention.set", json!({"workspace_days": days})).await;
        assert_error(&got, 400, "invalid_arguments");
    }
    let eve = owner(&db, "eve@y.io", "Other").await;
    let te = token(&db, &eve).await;
    let keep = json!({"channel": ops, "policy": {"mode": "keep"}});
    assert_error(&srv.call_bearer(&te, "admin.retention.set", keep.clone()).await, 404, "channel_not_found");
    let dm = srv.call_bearer(&ta, "conversations.open", json!({"users": [bob.member_id.to_string()]})).await;
    let dm_keep = json!({"channel": dm.1["channel"]["id"], "policy": {"mode": "keep"}});
    assert_error(&srv.call_bearer(&ta, "admin.retention.set", dm_keep).await, 404, "channel_not_found");

    // The policy: 30 days for the workspace, #ops keeps everything.
    let (s, v) = srv.call_bearer(&ta, "admin.retention.set", json!({"workspace_days": 30})).await;
    assert_eq!((s.as_u16(), v["workspace_days"].as_i64()), (200, Some(30)), "{v}");
    let (s, v) = srv.call_bearer(&ta, "admin.retention.set", keep).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["channels"], json!([{"channel": ops, "name": "#ops", "policy": {"mode": "keep"}}]));

    let all_before = seqs(&db, &gen).await;
    let mut bobs = connect(&srv, &tb, json!({})).await;
    let r = run(&srv, &ta).await;
    assert_eq!(
        (
            r["status"].as_str(),
            r["messages_deleted"].as_i64(),
            r["files_deleted"].as_i64(),
            r["channels"].as_i64()
        ),
        (Some("done"), Some(4), Some(1), Some(1)),
        "{r}"
    );
    assert_eq!(r["by"], "alice");

    // Exactly the old lone message, the old thread and the old file went.
    let gone: BTreeSet<i64> = [lone, old_root, old_reply, file_seq].into();
    let kept: BTreeSet<i64> = all_before.difference(&gone).copied().collect();
    assert!(kept.is_superset(&[live_root, live_reply, fresh].into()));
    assert_eq!(seqs(&db, &gen).await, kept);
    assert_eq!(seqs(&db, &ops).await, [ops_old].into(), "#ops keeps everything");
    let trimmed = next_of(&mut bobs, "history_trimmed").await;
    let told: BTreeSet<i64> =
        trimmed["seqs"].as_array().unwrap().iter().map(|s| s.as_i64().unwrap()).collect();
    assert_eq!((trimmed["channel"].as_str(), told), (Some(gen.as_str()), gone));

    // Reactions, files and search entries went with them; the rest stays.
    let left: (i64, i64) = sqlx::query_as(
        "select (select count(*) from reaction where channel_id = $1::uuid),
                (select count(*) from file where channel_id = $1::uuid)",
    )
    .bind(&gen)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(left, (0, 0));
    assert_eq!(found(&srv, &ta, "zebracrossing").await, 2, "the fresh one and #ops");
    assert_eq!(found(&srv, &ta, "quagga").await, 0);
    assert_eq!(found(&srv, &ta, "okapi").await, 2, "an active thread stays whole");
    let (s, b) =
        srv.call_bearer(&ta, "conversations.replies", json!({"channel": gen, "thread_seq": live_root})).await;
    assert_eq!((s.as_u16(), b["messages"].as_array().map(Vec::len)), (200, Some(2)), "{b}");
    eventually("the file's object is deleted", || async { objects(&srv).await.len() < objects_before }).await;

    // Recorded in the audit log; a second run finds nothing to do.
    let (_, log) = srv.call_bearer(&ta, "admin.audit.list", json!({"action": "retention.run"})).await;
    assert_eq!(log["entries"][0]["detail"]["messages"], 4, "{log}");
    assert_eq!(log["entries"][0]["actor_name"], "alice", "{log}");
    let (_, log) = srv.call_bearer(&ta, "admin.audit.list", json!({"action": "retention.changed"})).await;
    assert_eq!(log["entries"][0]["detail"]["to"], "Delete after 30 days", "{log}");
    let again = run(&srv, &ta).await;
    assert_eq!(
        (again["messages_deleted"].as_i64(), again["channels"].as_i64()),
        (Some(0), Some(0)),
        "{again}"
    );
    assert_eq!(seqs(&db, &gen).await, kept);

    // Keeping everything again stops it.
    let (s, v) = srv.call_bearer(&ta, "admin.retention.set", json!({"workspace_days": null})).await;
    assert_eq!((s.as_u16(), v["workspace_days"].clone()), (200, Value::Null), "{v}");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn one_run_at_a_time_and_a_dead_run_is_marked_interrupted(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let ta = token(&db, &alice).await;
    // A run left behind by a node that died five minutes ago is still
    // running as far as anyone can tell: a new one is refused.
    sqlx::query(
        "insert into retention_run (run_id, workspace_id, started_at, heartbeat_at)
         values (gen_random_uuid(), $1, now() - interval '5 minutes', now() - interval '5 minutes')",
    )
    .bind(alice.workspace_id)
    .execute(&db)
    .await
    .unwrap();
    assert_error(&srv.call_bearer(&ta, "admin.retention.run", json!({})).await, 409, "retention_running");
    // Once its heartbeat is stale it is marked interrupted, and a run starts.
    sqlx::query("update retention_run set heartbeat_at = now() - interval '1 hour'")
        .execute(&db)
        .await
        .unwrap();
    let r = run(&srv, &ta).await;
    assert_eq!(r["status"], "done", "{r}");
    let (_, v) = srv.call_bearer(&ta, "admin.retention.get", json!({})).await;
    let statuses: Vec<&str> =
        v["runs"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["done", "interrupted"], "{v}");
}
