//! The restore drill (docs/operations.md): `scripts/backup` of a live
//! server's database and data directory, `scripts/restore` into a fresh
//! database and data directory, a second server started on the copy, and
//! the two compared: messages, a file's bytes, search results (Postgres,
//! and Meilisearch after rebuilding its index from the restored database),
//! and a browser session made before the backup, which still works because
//! the cookie key came back with the data directory.

mod common;

use std::path::Path;
use std::process::Command;

use common::files::{noise, sha, upload_one};
use common::meili::{cleanup, configure, fresh};
use common::ws::{general, token};
use common::{owner, Srv, PASSWORD};
use serde_json::{json, Value};
use sqlx::postgres::PgConnectOptions;
use sqlx::PgPool;

fn url(opts: &PgConnectOptions, db: &str) -> String {
    format!("postgres://{}@{}:{}/{db}", opts.get_username(), opts.get_host(), opts.get_port())
}

fn script(name: &str, args: &[&str], envs: &[(&str, &str)]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out =
        Command::new(root.join("scripts").join(name)).args(args).envs(envs.iter().copied()).output().unwrap();
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "scripts/{name} failed:\n{log}");
}

async fn history(srv: &Srv, t: &str, c: &str) -> Vec<String> {
    let (s, b) = srv.call_bearer(t, "conversations.history", json!({"channel": c})).await;
    assert_eq!(s, 200, "{b}");
    b["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap().to_string()).collect()
}

async fn search(srv: &Srv, t: &str, q: &str) -> Value {
    let (s, b) = srv.call_bearer(t, "search.messages", json!({"query": q})).await;
    assert_eq!(s, 200, "{b}");
    b
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_backup_restores_into_a_fresh_database_and_data_directory(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let c = general(&db, &alice).await;
    let t = token(&db, &alice).await;
    for text in ["the zebrafish tank is ready", "lunch at noon", "zebrafish feeding schedule attached"] {
        let (s, b) = srv.call_bearer(&t, "chat.postMessage", json!({"channel": c, "text": text})).await;
        assert_eq!(s, 200, "{b}");
    }
    let bytes = noise(300_000, 7);
    let file = upload_one(&srv, &t, &c, "plan.bin", bytes.clone()).await;
    let file_url = file["url"].as_str().unwrap().to_string();
    // A browser signed in before the backup.
    let res = reqwest::Client::new()
        .post(format!("{}/api/auth.login", srv.url))
        .header("origin", &srv.url)
        .json(&json!({"email": "alice@x.io", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();

    let opts = db.connect_options();
    let source = opts.get_database().unwrap().to_string();
    // Postgres names are at most 63 bytes: the test database's own is long.
    let restored = format!("restored_{}", uuid::Uuid::new_v4().simple());
    let work = std::env::temp_dir().join(format!("threadspace-drill-{}", uuid::Uuid::new_v4()));
    let (backup, data) = (work.join("backup"), work.join("data"));
    let data_dir = srv.cfg.data_dir.to_str().unwrap().to_string();
    script(
        "backup",
        &[backup.to_str().unwrap()],
        &[("DATABASE_URL", &url(&opts, &source)), ("THREADSPACE_DATA_DIR", &data_dir)],
    );
    let admin = url(&opts, "postgres");
    let admin = admin.trim_end_matches("/postgres");
    script(
        "restore",
        &[backup.to_str().unwrap(), &restored, data.to_str().unwrap()],
        &[("THREADSPACE_PG_ADMIN_URL", admin), ("MEILI_URL", "")],
    );
    // A restore never overwrites: the same target again is refused.
    let again = Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/restore"))
        .args([backup.to_str().unwrap(), &restored, data.to_str().unwrap()])
        .env("THREADSPACE_PG_ADMIN_URL", admin)
        .output()
        .unwrap();
    assert!(!again.status.success(), "a second restore into the same database was not refused");

    let copy = PgPool::connect(&url(&opts, &restored)).await.unwrap();
    let meili = fresh("a_backup_restores_into_a_fresh_database_and_data_directory");
    let data2 = data.clone();
    let srv2 = Srv::start_with(copy.clone(), |cfg| {
        cfg.data_dir = data2;
        if let Some(m) = &meili {
            configure(cfg, m);
        }
    })
    .await;

    // Messages, the file and Postgres search answer as on the original.
    assert_eq!(history(&srv2, &t, &c).await, history(&srv, &t, &c).await);
    let texts = history(&srv2, &t, &c).await;
    assert_eq!(texts.len(), 4, "three messages and the file's: {texts:?}");
    assert!(texts.iter().any(|x| x == "lunch at noon"), "{texts:?}");
    let got =
        reqwest::Client::new().get(format!("{}{file_url}", srv2.url)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(sha(&got.bytes().await.unwrap()), sha(&bytes));
    let (a, b) = (search(&srv, &t, "zebrafish").await, search(&srv2, &t, "zebrafish").await);
    assert_eq!(b["messages"]["total"], 2, "{b}");
    assert_eq!(a["messages"]["matches"], b["messages"]["matches"]);
    // The browser's session: the cookie key and the session rows came back.
    let me = reqwest::Client::new()
        .post(format!("{}/api/auth.test", srv2.url))
        .header("origin", &srv2.url)
        .header("cookie", &cookie)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200, "the session made before the backup works on the restored copy");
    // Meilisearch: its index is rebuilt from the restored database.
    if let Some(m) = meili {
        assert_eq!(m.reindex(&copy, |_, _| {}).await.unwrap(), 4);
        common::files::eventually("search on the copy to use meilisearch", || async {
            let b = search(&srv2, &t, "zebrafish").await;
            b["backend"] == "meilisearch" && b["messages"]["total"] == 2
        })
        .await;
        cleanup(&m).await;
    }
    drop(srv2);
    copy.close().await;
    sqlx::query(&format!("drop database \"{restored}\" with (force)")).execute(&db).await.unwrap();
    std::fs::remove_dir_all(&work).unwrap();
}
