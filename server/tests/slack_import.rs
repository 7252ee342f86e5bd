//! Slack import (`admin.import.*`): the dry run's counts are what the import
//! stores; importing twice stores nothing more; a crash halfway and a
//! resume give what one clean run gives; only admins of the workspace reach
//! any of it; an imported person claims their account through an invite.
//! What Slack says coming out right is in `slack_import_fidelity.rs`.

mod common;

use app::auth::Role;
use app::imports::sample::Spec;
use common::slack::{checked, imported, json_bytes, n, sample, settle, upload, zip_of};
use common::ws::token;
use common::{assert_error, member, owner, Srv};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

/// What a workspace holds from imports, in comparable form: every imported
/// message (channel, seq, key, author, thread, text, html, reply count,
/// edited, deleted), reactions and files, and each channel's members.
async fn digest(db: &PgPool, ws: Uuid) -> Vec<String> {
    sqlx::query_scalar(
        "select concat_ws('|', coalesce(c.name, c.kind), g.seq, g.client_msg_id, m.display_name, g.thread_seq,
                          g.also_in_channel, g.body,
                          regexp_replace(g.html, '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', 'ID', 'g'),
                          g.reply_count, g.edited_at, g.deleted_at, g.created_at,
                          (select string_agg(r.emoji || ':' || rm.display_name, ',' order by r.emoji, rm.display_name)
                             from reaction r join member rm using (member_id) where r.channel_id = g.channel_id and r.seq = g.seq),
                          (select string_agg(f.name, ',' order by f.position) from file f
                            where f.channel_id = g.channel_id and f.seq = g.seq),
                          (select count(*) from channel_member cm where cm.channel_id = c.channel_id))
           from message g join channel c using (channel_id) join member m on m.member_id = g.member_id
          where c.workspace_id = $1 and g.client_msg_id like 'slack%'
          order by coalesce(c.name, c.kind), c.created_at, g.seq",
    )
    .bind(ws)
    .fetch_all(db)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_dry_run_counts_what_the_import_stores_and_twice_stores_nothing_more(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let tok = token(&db, &alice).await;
    let ws = alice.workspace_id;
    let spec = Spec { people: 30, conversations: 12, messages: 900, days: 4, messy: true };
    let (id, report) = checked(&srv, &tok, sample(&spec), false).await;
    // The dry run wrote nothing but its report.
    assert_eq!(n(&db, "select count(*) from import_person where workspace_id = $1", ws).await, 0);
    assert_eq!(n(&db, "select count(*) from channel where workspace_id = $1", ws).await, 1);
    let t = &report["totals"];
    assert_eq!(t["conversations"], 12, "{t}");
    assert!(t["threads"].as_u64().unwrap() > 10 && t["reactions"].as_u64().unwrap() > 50, "{t}");
    assert!(t["files"].as_u64().unwrap() >= 1 && t["files_missing"].as_u64().unwrap() >= 1, "{t}");
    assert_eq!(report["people"]["listed"], 30);
    assert_eq!(report["people"]["missing"], 2, "U99999 and USLACKBOT: {}", report["people"]);
    assert_eq!(report["people"]["bots"], 1);
    let problems: Vec<String> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{} {} {}", p["file"], p["line"], p["message"]))
        .collect();
    assert!(problems.iter().any(|p| p.contains("2023-12-31.json") && p.contains(" 3 ")), "{problems:?}");
    // Problems in a message name its file and line.
    let weird = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["message"].as_str().unwrap().contains("weird_subtype"));
    let weird = weird.unwrap_or_else(|| panic!("{problems:?}"));
    assert!(
        weird["file"].as_str().unwrap().ends_with(".json") && weird["line"].as_u64().unwrap() > 1,
        "{weird}"
    );
    assert!(problems.iter().any(|p| p.contains(":partyparrot:")), "{problems:?}");

    let done = imported(&srv, &tok, &id).await;
    assert_eq!(done["messages_done"], t["messages"], "{done}");
    let stored = |sql: String| {
        let db = db.clone();
        async move { n(&db, &sql, ws).await }
    };
    let rows = |extra: &str| {
        format!(
            "select count(*) from message g join channel c using (channel_id)
              where c.workspace_id = $1 and g.client_msg_id like 'slack%' {extra}"
        )
    };
    assert_eq!(stored(rows("")).await, t["messages"].as_i64().unwrap());
    assert_eq!(stored(rows("and g.thread_seq is not null")).await, t["replies"].as_i64().unwrap());
    assert_eq!(stored(rows("and g.reply_count > 0")).await, t["threads"].as_i64().unwrap());
    assert_eq!(
        stored(
            "select count(*) from reaction r join channel c using (channel_id) where c.workspace_id = $1"
                .into()
        )
        .await,
        t["reactions"].as_i64().unwrap()
    );
    assert_eq!(
        stored("select count(*) from file where workspace_id = $1".into()).await,
        t["files"].as_i64().unwrap()
    );
    assert_eq!(
        stored("select count(*) from import_conversation where workspace_id = $1 and done".into()).await,
        12
    );
    let channels = stored("select count(*) from channel where workspace_id = $1".into()).await;
    // Owner, 30 listed, 2 referenced but not listed, 1 bot.
    assert_eq!(stored("select count(*) from member where workspace_id = $1".into()).await, 1 + 30 + 2 + 1);
    // Imported people are deactivated and cannot sign in.
    assert_eq!(
        stored("select count(*) from member where workspace_id = $1 and deactivated_at is null".into()).await,
        1
    );

    // History pages are in ts order: seq order is created_at order in every channel.
    let out_of_order = stored(
        "select count(*) from (select g.created_at < lag(g.created_at) over (partition by g.channel_id order by g.seq) as bad
           from message g join channel c using (channel_id) where c.workspace_id = $1) x where bad"
            .into(),
    )
    .await;
    assert_eq!(out_of_order, 0);
    let general: Uuid = sqlx::query_scalar(
        "select channel_id from channel where workspace_id = $1 and name = 'general-slack'",
    )
    .bind(ws)
    .fetch_one(&db)
    .await
    .unwrap();
    let (s, h) =
        srv.call_bearer(&tok, "conversations.history", json!({"channel": general, "limit": 50})).await;
    assert_eq!(s, 200, "{h}");
    let times: Vec<String> = h["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["created_at"].as_str().unwrap().to_string())
        .collect();
    assert!(times.len() == 50 && times.windows(2).all(|w| w[0] >= w[1]), "newest first: {times:?}");
    // Search finds imported messages.
    let (s, r) = srv.call_bearer(&tok, "search.messages", json!({"query": "dashboard latency"})).await;
    assert_eq!(s, 200, "{r}");
    assert!(r["messages"]["total"].as_i64().unwrap() > 0, "{r}");

    // Importing the same export again (dry run, then import) adds nothing.
    let before = digest(&db, ws).await;
    let (id2, again) = checked(&srv, &tok, sample(&spec), false).await;
    assert!(again["conversations"].as_array().unwrap().iter().all(|c| c["action"] == "again"), "{again}");
    imported(&srv, &tok, &id2).await;
    assert_eq!(digest(&db, ws).await, before);
    assert_eq!(stored("select count(*) from member where workspace_id = $1".into()).await, 34);
    assert_eq!(stored("select count(*) from channel where workspace_id = $1".into()).await, channels);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_crash_halfway_and_a_resume_give_what_one_clean_run_gives(db: PgPool) {
    let mut srv = Srv::start(db.clone()).await;
    srv.imports.batch = 40;
    let spec = Spec { people: 12, conversations: 6, messages: 700, days: 3, messy: true };
    let mut digests = Vec::new();
    for (i, crash) in [false, true].into_iter().enumerate() {
        let admin = owner(&db, &format!("owner{i}@x.io"), "Acme").await;
        let tok = token(&db, &admin).await;
        let (id, report) = checked(&srv, &tok, sample(&spec), false).await;
        let (s, v) = srv.call_bearer(&tok, "admin.import.cancel", json!({"import": id})).await;
        assert_eq!(s, 200, "{v}");
        let uuid = Uuid::parse_str(&id).unwrap();
        // Mark it importing without a running job, then run it by hand.
        sqlx::query("update import_job set status = 'importing' where import_id = $1")
            .bind(uuid)
            .execute(&db)
            .await
            .unwrap();
        if crash {
            // Stops after 5 batches as a killed node would: no end recorded.
            let r = srv.imports.run(uuid, Some(5)).await;
            assert!(r.is_err(), "{r:?}");
            let (status, done): (String, i64) =
                sqlx::query_as("select status, messages_done from import_job where import_id = $1")
                    .bind(uuid)
                    .fetch_one(&db)
                    .await
                    .unwrap();
            let partial: i64 = n(
                &db,
                "select count(*) from message g join channel c using (channel_id)
                  where c.workspace_id = $1 and g.client_msg_id like 'slack%'",
                admin.workspace_id,
            )
            .await;
            assert_eq!(status, "importing");
            assert!(done == partial && partial > 0 && partial <= 200, "{done} {partial}");
        }
        if crash {
            // Its node is gone: another node sees the stale heartbeat and takes it over.
            assert_eq!(srv.imports.take_over(60).await.unwrap(), None, "a fresh heartbeat is left alone");
            sqlx::query(
                "update import_job set heartbeat_at = now() - interval '5 minutes' where import_id = $1",
            )
            .bind(uuid)
            .execute(&db)
            .await
            .unwrap();
            assert_eq!(srv.imports.take_over(60).await.unwrap(), Some(uuid));
        } else {
            assert_eq!(srv.imports.run(uuid, None).await.unwrap(), "done");
        }
        let i = settle(&srv, &tok, &id).await;
        assert_eq!(i["status"], "done");
        assert_eq!(i["messages_done"], report["totals"]["messages"]);
        digests.push(digest(&db, admin.workspace_id).await);
    }
    assert!(digests[0].len() > 700);
    assert_eq!(digests[0].len(), digests[1].len());
    for (clean, resumed) in digests[0].iter().zip(&digests[1]) {
        assert_eq!(clean, resumed);
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn only_admins_of_the_workspace_reach_an_import(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let olga = owner(&db, "olga@o.io", "Other").await;
    let (ta, tb, to) = (token(&db, &alice).await, token(&db, &bob).await, token(&db, &olga).await);
    let zip = sample(&Spec { messages: 30, conversations: 4, people: 5, days: 1, messy: false });
    assert_error(&upload(&srv, &tb, "x.zip", zip.clone()).await, 404, "unknown_method");
    assert_error(&upload(&srv, &ta, "x.zip", b"not a zip at all".to_vec()).await, 400, "not_a_slack_export");
    assert_eq!(common::count(&db, "import_job").await, 0);
    let (s, v) = upload(&srv, &ta, "x.zip", zip).await;
    assert_eq!(s, 200, "{v}");
    let id = v["import"]["id"].as_str().unwrap().to_string();
    for m in ["admin.import.dryRun", "admin.import.start", "admin.import.cancel", "admin.import.report"] {
        assert_error(&srv.call_bearer(&tb, m, json!({"import": id})).await, 404, "unknown_method");
        assert_error(&srv.call_bearer(&to, m, json!({"import": id})).await, 404, "import_not_found");
    }
    // The import comes after the dry run, never before.
    assert_error(
        &srv.call_bearer(&ta, "admin.import.start", json!({"import": id})).await,
        409,
        "import_state",
    );
    let res = srv
        .client
        .get(format!("{}/imports/{id}/report.json", srv.url))
        .bearer_auth(&to)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn an_imported_person_claims_their_account_only_through_an_invite_to_their_address(db: PgPool) {
    let sink = common::mail::smtp_sink().await;
    let srv = Srv::start_with(db.clone(), |c| c.smtp_url = Some(sink.url.clone())).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let tok = token(&db, &alice).await;
    let zip = zip_of(&[
        (
            "users.json",
            json_bytes(json!([{"id": "UBOB", "name": "bob", "profile": {"email": "bob@y.io"}},
                              {"id": "UGUS", "name": "gus", "profile": {"email": "gus@y.io"}}])),
        ),
        ("channels.json", json_bytes(json!([{"id": "C1", "name": "team", "members": ["UBOB", "UGUS"]}]))),
        (
            "team/2024-01-01.json",
            json_bytes(
                json!([{"type": "message", "user": "UBOB", "ts": "1704067200.000001", "text": "from Slack"}]),
            ),
        ),
    ]);
    let (id, _) = checked(&srv, &tok, zip, false).await;
    imported(&srv, &tok, &id).await;
    let bob: Uuid = sqlx::query_scalar("select member_id from import_person where slack_id = 'UBOB'")
        .fetch_one(&db)
        .await
        .unwrap();
    // Nobody signs in to an imported account.
    let login = json!({"email": "bob@y.io", "password": common::PASSWORD});
    assert_error(
        &srv.call_with(&common::client(), "auth.login", login.clone()).await,
        401,
        "invalid_credentials",
    );
    // A link invite (not sent to Gus's address) does not let anyone claim Gus.
    let (s, link) = srv
        .call_bearer(&tok, "invites.create", json!({"role": "member", "expires_in_hours": 24, "max_uses": 5}))
        .await;
    assert_eq!(s, 200, "{link}");
    let link_token = link["url"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    let as_gus = json!({"token": link_token, "email": "gus@y.io", "password": common::PASSWORD, "display_name": "Gus"});
    assert_error(
        &srv.call_with(&common::client(), "invites.accept", as_gus).await,
        401,
        "invalid_credentials",
    );
    // An invite sent to Bob's address lets him set a password and become the imported Bob.
    let send = json!({"role": "member", "expires_in_hours": 24, "max_uses": 1, "email": "bob@y.io"});
    let (s, b) = srv.call_bearer(&tok, "invites.create", send).await;
    assert_eq!(s, 200, "{b}");
    let mail = sink.wait_for("bob@y.io").await;
    let at = mail.find("/invite/tsi_").expect("an invite link") + "/invite/".len();
    let invite: String =
        mail[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect();
    let accept =
        json!({"token": invite, "email": "bob@y.io", "password": common::PASSWORD, "display_name": "Bob B"});
    let (s, b) = srv.call_with(&common::client(), "invites.accept", accept).await;
    assert_eq!(s, 200, "{b}");
    let (active, name, authored): (bool, String, i64) = sqlx::query_as(
        "select m.deactivated_at is null, m.display_name, (select count(*) from message where member_id = m.member_id)
           from member m where m.member_id = $1",
    )
    .bind(bob)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!((active, name.as_str(), authored), (true, "Bob B", 1));
    assert_eq!(n(&db, "select count(*) from member where workspace_id = $1", alice.workspace_id).await, 3);
    let (s, me) = srv.call_with(&common::client(), "auth.login", login).await;
    assert_eq!(s, 200, "{me}");
}
