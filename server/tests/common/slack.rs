//! Slack-import test helpers: zips built in memory, the upload, and
//! waiting for a job to finish.

use std::io::Write;

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::Srv;

/// A zip of `(path, contents)` entries.
pub fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (path, bytes) in entries {
        w.start_file(*path, zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A generated export (see `app::imports::sample`).
pub fn sample(spec: &app::imports::sample::Spec) -> Vec<u8> {
    let path = std::env::temp_dir().join(format!("sample-{}.zip", uuid::Uuid::new_v4()));
    app::imports::sample::write(&path, spec).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    bytes
}

/// `admin.import.upload` with a bearer token.
pub async fn upload(srv: &Srv, token: &str, name: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_string()));
    let res = srv
        .client
        .post(format!("{}/api/admin.import.upload", srv.url))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Polls `admin.import.status` until the job is no longer running.
pub async fn settle(srv: &Srv, token: &str, id: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let (s, v) = srv.call_bearer(token, "admin.import.status", json!({"import": id})).await;
        assert_eq!(s, 200, "{v}");
        let i = v["imports"][0].clone();
        if i["status"] != "checking" && i["status"] != "importing" {
            return i;
        }
        assert!(std::time::Instant::now() < deadline, "the job did not finish: {i}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Uploads and runs the dry run; returns the import id and the report.
pub async fn checked(srv: &Srv, token: &str, bytes: Vec<u8>, merge: bool) -> (String, Value) {
    let (s, v) = upload(srv, token, "export.zip", bytes).await;
    assert_eq!(s, 200, "{v}");
    let id = v["import"]["id"].as_str().unwrap().to_string();
    let (s, v) =
        srv.call_bearer(token, "admin.import.dryRun", json!({"import": id, "merge_channels": merge})).await;
    assert_eq!(s, 200, "{v}");
    let i = settle(srv, token, &id).await;
    assert_eq!(i["status"], "checked", "{i}");
    let (s, r) = srv.call_bearer(token, "admin.import.report", json!({"import": id})).await;
    assert_eq!(s, 200, "{r}");
    (id, r["report"].clone())
}

/// Starts the import and waits for it; returns the finished import.
pub async fn imported(srv: &Srv, token: &str, id: &str) -> Value {
    let (s, v) = srv.call_bearer(token, "admin.import.start", json!({"import": id})).await;
    assert_eq!(s, 200, "{v}");
    let i = settle(srv, token, id).await;
    assert_eq!(i["status"], "done", "{i}");
    i
}

/// One count with the workspace as `$1`.
pub async fn n(db: &sqlx::PgPool, sql: &str, ws: uuid::Uuid) -> i64 {
    sqlx::query_scalar(sql).bind(ws).fetch_one(db).await.unwrap()
}

/// A JSON file's bytes, for a zip entry.
pub fn json_bytes(v: Value) -> Vec<u8> {
    serde_json::to_vec(&v).unwrap()
}
