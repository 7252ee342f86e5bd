//! Workspace export (`admin.export.*` and the download): the zip parses in
//! the Slack layout and its people, conversations, messages and files
//! match the database; private conversations are in it only when an owner
//! chose so, which the audit log records; only admins can download it.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use app::auth::Role;
use common::files::{get, upload_one};
use common::ws::{general, post, token};
use common::{assert_error, member, owner, Srv};
use serde_json::{json, Value};
use sqlx::PgPool;

/// Starts an export and waits for it to finish; returns it.
async fn export(srv: &Srv, tok: &str, include_private: bool) -> Value {
    let (s, b) =
        srv.call_bearer(tok, "admin.export.start", json!({"include_private": include_private})).await;
    assert_eq!(s, 200, "{b}");
    let id = b["export"]["id"].as_str().unwrap().to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let last = loop {
        let (_, v) = srv.call_bearer(tok, "admin.export.status", json!({"export": id})).await;
        if v["exports"][0]["status"] != "running" {
            break v["exports"][0].clone();
        }
        assert!(std::time::Instant::now() < deadline, "the export did not finish: {v}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(last["status"], "done", "{last}");
    last
}

/// The zip's entries by path.
async fn download(srv: &Srv, tok: &str, url: &str) -> BTreeMap<String, Vec<u8>> {
    let res = get(srv, Some(tok), url, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    let bytes = res.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a valid zip");
    let mut out = BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut buf = Vec::new();
        f.read_to_end(&mut buf).unwrap();
        out.insert(f.name().to_string(), buf);
    }
    out
}

fn json_of(zip: &BTreeMap<String, Vec<u8>>, path: &str) -> Value {
    serde_json::from_slice(zip.get(path).unwrap_or_else(|| panic!("{path} missing"))).unwrap()
}

/// Every message in the conversation folders, by folder.
fn messages(zip: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<Value>> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (path, bytes) in zip {
        let Some((folder, file)) = path.split_once('/') else { continue };
        if folder == "__uploads" {
            continue;
        }
        let day = file.strip_suffix(".json").expect("day files are json");
        assert!(
            time::Date::parse(day, time::macros::format_description!("[year]-[month]-[day]")).is_ok(),
            "{path}"
        );
        let v: Value = serde_json::from_slice(bytes).unwrap();
        out.entry(folder.to_string()).or_default().extend(v.as_array().unwrap().iter().cloned());
    }
    out
}

async fn scalar(db: &PgPool, sql: &str, ws: uuid::Uuid) -> i64 {
    sqlx::query_scalar(sql).bind(ws).fetch_one(db).await.unwrap()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_export_round_trips_in_the_slack_layout(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let ada = member(&db, &alice, "Ada", Role::Admin).await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let carl = member(&db, &alice, "Carl", Role::Guest).await;
    let (ta, tada, tb) = (token(&db, &alice).await, token(&db, &ada).await, token(&db, &bob).await);
    let ws = alice.workspace_id;
    let gen = general(&db, &alice).await;
    let (s, c) =
        srv.call_bearer(&ta, "conversations.create", json!({"name": "secret", "is_private": true})).await;
    assert_eq!(s, 200, "{c}");
    let secret = c["channel"]["id"].as_str().unwrap().to_string();
    let root = post(&srv, &ta, &gen, "Launch plan <script>x</script>").await["seq"].as_i64().unwrap();
    let body = json!({"channel": gen, "text": "On it", "thread_seq": root});
    assert_eq!(srv.call_bearer(&tb, "chat.postMessage", body).await.0, 200);
    let r = json!({"channel": gen, "seq": root, "emoji": "tada"});
    assert_eq!(srv.call_bearer(&tb, "reactions.add", r).await.0, 200);
    let doomed = post(&srv, &tb, &gen, "oops").await["seq"].as_i64().unwrap();
    let del = srv.call_bearer(&tb, "chat.delete", json!({"channel": gen, "seq": doomed})).await;
    assert_eq!(del.0, 200, "{}", del.1);
    upload_one(&srv, &ta, &gen, "notes.txt", b"exported notes".to_vec()).await;
    post(&srv, &ta, &secret, "private words").await;
    let dm = srv.call_bearer(&ta, "conversations.open", json!({"users": [bob.member_id.to_string()]})).await;
    post(&srv, &ta, dm.1["channel"]["id"].as_str().unwrap(), "hi Bob").await;
    let users = json!({"users": [bob.member_id.to_string(), carl.member_id.to_string()]});
    let group = srv.call_bearer(&ta, "conversations.open", users).await;
    post(&srv, &ta, group.1["channel"]["id"].as_str().unwrap(), "hi all").await;

    // Only an owner may include private conversations; members cannot export.
    assert_error(
        &srv.call_bearer(&tada, "admin.export.start", json!({"include_private": true})).await,
        403,
        "owner_only",
    );
    assert_error(&srv.call_bearer(&tb, "admin.export.start", json!({})).await, 404, "unknown_method");

    // Everything, as the owner chose.
    let e = export(&srv, &ta, true).await;
    let zip = download(&srv, &ta, e["download_url"].as_str().unwrap()).await;
    let users = json_of(&zip, "users.json");
    assert_eq!(
        users.as_array().unwrap().len() as i64,
        scalar(&db, "select count(*) from member where workspace_id = $1", ws).await
    );
    let alice_json = users.as_array().unwrap().iter().find(|u| u["name"] == "alice").unwrap();
    assert_eq!(
        (alice_json["is_owner"].as_bool(), alice_json["profile"]["email"].as_str()),
        (Some(true), Some("alice@x.io"))
    );
    assert!(users.as_array().unwrap().iter().any(|u| u["name"] == "Carl" && u["is_restricted"] == true));
    let count = |kind: &str| {
        let db = db.clone();
        let kind = kind.to_string();
        async move {
            sqlx::query_scalar::<_, i64>("select count(*) from channel where workspace_id = $1 and kind = $2")
                .bind(ws)
                .bind(kind)
                .fetch_one(&db)
                .await
                .unwrap()
        }
    };
    for (file, kind) in [
        ("channels.json", "public"),
        ("groups.json", "private"),
        ("dms.json", "dm"),
        ("mpims.json", "group_dm"),
    ] {
        assert_eq!(json_of(&zip, file).as_array().unwrap().len() as i64, count(kind).await, "{file}");
    }
    let channels = json_of(&zip, "channels.json");
    let general_json = channels.as_array().unwrap().iter().find(|c| c["is_general"] == true).unwrap();
    assert_eq!(general_json["name"], "general");
    assert_eq!(general_json["members"].as_array().unwrap().len(), 3, "guests are not in #general");

    // Messages: every live one, plus none of the deleted ones (no replies).
    let by_folder = messages(&zip);
    let total: usize = by_folder.values().map(Vec::len).sum();
    let live = scalar(
        &db,
        "select count(*) from message m join channel c using (channel_id)
          where c.workspace_id = $1 and (m.deleted_at is null or m.reply_count > 0)",
        ws,
    )
    .await;
    assert_eq!(total as i64, live);
    assert_eq!(e["messages"].as_i64(), Some(live), "{e}");
    let general_msgs = &by_folder["general"];
    let root_json = general_msgs.iter().find(|m| m["text"] == "Launch plan <script>x</script>").unwrap();
    let reply_json = general_msgs.iter().find(|m| m["text"] == "On it").unwrap();
    assert_eq!(reply_json["thread_ts"], root_json["ts"]);
    assert_eq!(
        (root_json["reply_count"].as_i64(), root_json["thread_ts"].clone()),
        (Some(1), root_json["ts"].clone())
    );
    assert_eq!(root_json["reactions"], json!([{"name": "tada", "users": [bob.member_id], "count": 1}]));
    assert!(!general_msgs.iter().any(|m| m["text"] == "oops"));
    let stamps: BTreeSet<&str> = general_msgs.iter().map(|m| m["ts"].as_str().unwrap()).collect();
    assert_eq!(stamps.len(), general_msgs.len(), "ts values are unique");
    assert!(by_folder.contains_key("secret"));
    assert_eq!(by_folder.len(), 4, "general, secret, the DM and the group DM");

    // Files: listed on their message and their bytes in the zip.
    let with_file = general_msgs.iter().find(|m| m.get("files").is_some()).unwrap();
    let path = with_file["files"][0]["url_private"].as_str().unwrap();
    assert_eq!(zip[path], b"exported notes");
    assert_eq!(
        e["files"].as_i64(),
        Some(scalar(&db, "select count(*) from file where workspace_id = $1", ws).await)
    );

    // The audit log says what was included.
    let (_, log) = srv.call_bearer(&ta, "admin.audit.list", json!({"action": "export.started"})).await;
    assert_eq!(log["entries"][0]["detail"]["include_private"], true, "{log}");

    // Public only: no private channel, DM or group DM, in lists or folders.
    let e2 = export(&srv, &tada, false).await;
    let zip2 = download(&srv, &tada, e2["download_url"].as_str().unwrap()).await;
    for file in ["groups.json", "dms.json", "mpims.json"] {
        assert_eq!(json_of(&zip2, file), json!([]), "{file}");
    }
    assert_eq!(messages(&zip2).keys().collect::<Vec<_>>(), ["general"]);
    let (_, log) = srv.call_bearer(&ta, "admin.audit.list", json!({"action": "export.started"})).await;
    assert_eq!(log["entries"][0]["detail"]["include_private"], false, "{log}");

    // The newer export replaced the older, whose zip is gone.
    let (_, v) = srv.call_bearer(&ta, "admin.export.status", json!({})).await;
    let statuses: Vec<&str> =
        v["exports"].as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["done", "replaced"], "{v}");
    assert_eq!(get(&srv, Some(&ta), e["download_url"].as_str().unwrap(), None).await.status(), 404);

    // Only admins of the workspace download it; others see "not found".
    let url = e2["download_url"].as_str().unwrap();
    assert_eq!(get(&srv, Some(&tb), url, None).await.status(), 404);
    let eve = owner(&db, "eve@y.io", "Other").await;
    assert_eq!(get(&srv, Some(&token(&db, &eve).await), url, None).await.status(), 404);
    assert_eq!(get(&srv, None, url, None).await.status(), 401);
}
