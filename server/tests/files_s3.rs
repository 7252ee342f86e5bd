//! Files on the S3 backend, against a real S3-protocol server: moto, from
//! PyPI, started by each test as a child process (scripts/test installs it).
//! Without it these tests fail with instructions; they never pass silently.

mod common;

use common::file_cases;
use common::files::{moto, use_s3};
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
