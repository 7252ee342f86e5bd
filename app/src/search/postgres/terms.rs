//! The words typo correction knows (`search_term`), folded in after the send.
//!
//! A message's insert queues its text in `search_term_pending` (one plain
//! row, by trigger); [`collect`] turns queued texts into distinct
//! (workspace, word) pairs and upserts them in one statement. Inside the
//! send, the per-word upsert was 70% of the insert's time (migration
//! `20261205000023`). Who runs it: every node, every second, a bounded batch
//! under `skip locked`, so nodes share the queue; and typo correction, for
//! the caller's workspace only, before it looks for similar words, so a word
//! sent a moment ago is already known. What bounds it: a batch's size, the
//! search pool's statement timeout, and the send budget that bounds the
//! queue. It announces nothing.

use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

/// Queued texts folded per statement.
pub const BATCH: i64 = 2000;

/// The upsert of a set of queued rows `d(workspace_id, body)`, in one lock
/// order (nodes folding at once upsert shared words in the same order).
const FOLD: &str = "insert into search_term (workspace_id, term)
     select distinct d.workspace_id, t from d, search_terms_of(d.body) t order by 1, 2
     on conflict do nothing";

/// Folds up to [`BATCH`] queued texts; returns how many were taken.
pub async fn collect(db: &PgPool) -> Result<i64, sqlx::Error> {
    let sql = format!(
        "with d as (
           delete from search_term_pending where ctid = any(array(
             select ctid from search_term_pending limit $1 for update skip locked))
           returning workspace_id, body),
         f as ({FOLD} returning 1)
         select count(*) from d"
    );
    sqlx::query_scalar(&sql).bind(BATCH).fetch_one(db).await
}

/// Folds every queued text of `workspace`, waiting for a batch another node
/// is folding (its words are then committed and visible).
pub async fn collect_workspace(db: &PgPool, workspace: Uuid) -> Result<(), sqlx::Error> {
    let sql = format!(
        "with d as (delete from search_term_pending where workspace_id = $1 returning workspace_id, body)
         {FOLD}"
    );
    sqlx::query(&sql).bind(workspace).execute(db).await.map(|_| ())
}

/// Runs on every node: each second, folds the queue a batch at a time.
pub fn start(db: PgPool) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            loop {
                match collect(&db).await {
                    Ok(n) if n == BATCH => continue,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "collecting search terms failed");
                        break;
                    }
                }
            }
        }
    });
}
