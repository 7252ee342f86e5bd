//! Files on the S3 backend, against a real S3-protocol server: moto, from
//! PyPI, started by each test as a child process (scripts/test installs it).
//! Without it these tests fail with instructions; they never pass silently.

mod common;

use common::file_cases;
use common::files::{file_rows, form, moto, noise, temp_files, upload, use_s3};
use common::ws::{general, token};
use common::{owner, Srv};
use sqlx::PgPool;

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn files_round_trip_on_s3(db: PgPool) {
    let s3 = moto().await;
    let srv = Srv::start_with(db.clone(), |c| use_s3(c, &s3)).await;
    assert_eq!(srv.files.storage.backend(), "s3");
    let alice = owner(&db, "alice@x.io", "Acme").await;
    file_cases::round_trip(&srv, &token(&db, &alice).await, &general(&db, &alice).await).await;
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_size_limit_leaves_nothing_in_the_bucket(db: PgPool) {
    let s3 = moto().await;
    let srv = Srv::start_with(db.clone(), |c| use_s3(c, &s3)).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    file_cases::size_limit(&srv, &token(&db, &alice).await, &general(&db, &alice).await).await;
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn deduplication_and_deletion_on_s3(db: PgPool) {
    let s3 = moto().await;
    let srv = Srv::start_with(db.clone(), |c| use_s3(c, &s3)).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    file_cases::dedup_and_delete(&srv, &token(&db, &alice).await, &general(&db, &alice).await).await;
}

/// The file store failing under a running node: with the S3 server gone, an
/// upload is answered `503 service_unavailable` (retry later), and nothing
/// is left behind: no rows (blob, file, message) and no staged temp file.
#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_failing_store_refuses_uploads_cleanly_and_leaves_nothing(db: PgPool) {
    let mut s3 = moto().await;
    let srv = Srv::start_with(db.clone(), |c| use_s3(c, &s3)).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let (t, c) = (token(&db, &alice).await, general(&db, &alice).await);
    let rows = file_rows(&srv).await;
    s3.child.kill().await.unwrap();
    for (name, size) in [("small.bin", 40_000), ("multipart.bin", 12 * 1024 * 1024)] {
        let f = form(&[("channel", c.as_str()), ("client_msg_id", name)], vec![(name, noise(size, 9))]);
        let (status, body) = upload(&srv, &t, f).await;
        assert_eq!(status.as_u16(), 503, "{name}: {body}");
        assert_eq!(body["error"], "service_unavailable", "{name}: {body}");
        assert_eq!(file_rows(&srv).await, rows, "{name}: no rows");
        assert!(temp_files(&srv).is_empty(), "{name}: no staged file left");
    }
}
