//! Rebuilding the index from Postgres without ever blanking search.
//!
//! **Full** ([`Meili::reindex`]): a new index (`<live>__rebuild`) is built
//! while the live one keeps answering, then the two are swapped atomically
//! (Meilisearch `swap-indexes`) and the old one is deleted. Writes during the
//! build: while `search_setting.rebuilding` is set, the indexer logs every key
//! it applies to the live index (`search_rebuild_log`); the reindex applies
//! those keys' current state to the new index after its bulk copy and again
//! after the swap, under the index lock, so whatever it copied before an edit
//! is overwritten by the newer state. A key changed before the flag was
//! visible was committed before the bulk copy started, so the copy has it.
//!
//! **One workspace** ([`Meili::reindex_workspace`]): rewrites the
//! workspace's documents in place, a batch at a time under the index lock
//! (so an older copy never lands after a newer edit), then deletes the
//! workspace's documents it did not rewrite (`gen` older than its start).
//! Other workspaces are not touched, and search keeps answering throughout.
//!
//! Progress goes to `search_reindex` (the admin overview shows it) and to
//! the caller's `progress(done, total)`.

use sqlx::PgPool;
use uuid::Uuid;

use super::client::{docs_for, Error, Meili};
use super::indexer::{apply, finish, INDEX_LOCK};

const BATCH: i64 = 5000;
/// Batches of a full reindex sent to Meilisearch and not yet indexed.
/// Meilisearch indexes the enqueued additions together, and its cost per
/// indexing batch (word prefixes, facets) is large, so a deep queue (up to
/// 85,000 documents in one batch) indexes far faster than a shallow one.
const IN_FLIGHT: usize = 16;

/// A reindex's row in `search_reindex`.
struct Run {
    id: Uuid,
}

impl Run {
    async fn start(db: &PgPool, workspace: Option<Uuid>, total: i64) -> Result<Run, Error> {
        let id: Uuid = sqlx::query_scalar(
            "insert into search_reindex (workspace_id, total) values ($1, $2) returning reindex_id",
        )
        .bind(workspace)
        .bind(total)
        .fetch_one(db)
        .await?;
        Ok(Run { id })
    }

    async fn progress(&self, db: &PgPool, done: u64) -> Result<(), Error> {
        sqlx::query("update search_reindex set done = $2, heartbeat_at = now() where reindex_id = $1")
            .bind(self.id)
            .bind(done as i64)
            .execute(db)
            .await?;
        Ok(())
    }

    async fn finish(&self, db: &PgPool, result: &Result<u64, Error>) {
        let (status, error) = match result {
            Ok(_) => ("done", None),
            Err(e) => ("failed", Some(e.to_string())),
        };
        let _ = sqlx::query(
            "update search_reindex set status = $2, error = $3, finished_at = now(), heartbeat_at = now()
             where reindex_id = $1",
        )
        .bind(self.id)
        .bind(status)
        .bind(error)
        .execute(db)
        .await;
    }
}

/// Holds the session-level lock that lets one reindex run at a time.
async fn exclusive(db: &PgPool) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>, Error> {
    let mut conn = db.acquire().await?;
    let got: bool = sqlx::query_scalar("select pg_try_advisory_lock($1)")
        .bind(INDEX_LOCK + 1)
        .fetch_one(&mut *conn)
        .await?;
    if !got {
        return Err(Error::Refused("another reindex is running".into()));
    }
    Ok(conn)
}

async fn release(mut conn: sqlx::pool::PoolConnection<sqlx::Postgres>) {
    let _ = sqlx::query("select pg_advisory_unlock($1)").bind(INDEX_LOCK + 1).execute(&mut *conn).await;
}

/// One batch of live message keys after `after`, optionally in one workspace.
async fn keys_after(
    db: &PgPool,
    workspace: Option<Uuid>,
    after: (Uuid, i64),
) -> Result<Vec<(Uuid, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select g.channel_id, g.seq from message g
         where g.deleted_at is null and (g.channel_id, g.seq) > ($1, $2)
           and ($3::uuid is null or g.channel_id in (select channel_id from channel where workspace_id = $3))
         order by g.channel_id, g.seq limit $4",
    )
    .bind(after.0)
    .bind(after.1)
    .bind(workspace)
    .bind(BATCH)
    .fetch_all(db)
    .await
}

async fn count(db: &PgPool, workspace: Option<Uuid>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from message g where g.deleted_at is null
           and ($1::uuid is null or g.channel_id in (select channel_id from channel where workspace_id = $1))",
    )
    .bind(workspace)
    .fetch_one(db)
    .await
}

impl Meili {
    /// Rebuilds the whole index from Postgres by swap (see the module docs),
    /// calling `progress(done, total)` after each batch. Turns the outbox on
    /// and marks the index ready for queries at the end.
    pub async fn reindex(&self, db: &PgPool, progress: impl FnMut(u64, u64)) -> Result<u64, Error> {
        let lock = exclusive(db).await?;
        let total = count(db, None).await?;
        let run = Run::start(db, None, total).await?;
        let result = self.rebuild(db, &run, total, progress).await;
        if result.is_err() {
            let _ = sqlx::query("update search_setting set rebuilding = false").execute(db).await;
        }
        run.finish(db, &result).await;
        release(lock).await;
        result
    }

    async fn rebuild(
        &self,
        db: &PgPool,
        run: &Run,
        total: i64,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<u64, Error> {
        let live = self.index().to_string();
        let next = format!("{live}__rebuild");
        sqlx::query("delete from search_rebuild_log").execute(db).await?;
        sqlx::query("update search_setting set outbox_enabled = true, rebuilding = true").execute(db).await?;
        self.configure().await?;
        self.drop_index(&next).await?;
        self.configure_index(&next).await?;
        // The copy keeps a few batches in flight: Meilisearch indexes
        // consecutive additions together, and reading the next batch from
        // Postgres overlaps with indexing the previous ones.
        let (mut after, mut done) = ((Uuid::nil(), 0i64), 0u64);
        let mut in_flight = std::collections::VecDeque::new();
        let index = self.client.index(&next);
        loop {
            let keys = keys_after(db, None, after).await?;
            let Some(last) = keys.last() else { break };
            after = *last;
            let (c, s): (Vec<Uuid>, Vec<i64>) = keys.iter().copied().unzip();
            let docs = docs_for(db, &c, &s).await?;
            in_flight.push_back((index.add_or_replace(&docs, Some("id")).await?, docs.len() as u64));
            while in_flight.len() > IN_FLIGHT {
                let (task, n) = in_flight.pop_front().expect("in flight");
                self.wait(task).await?;
                done += n;
                run.progress(db, done).await?;
                progress(done, total as u64);
            }
        }
        while let Some((task, n)) = in_flight.pop_front() {
            self.wait(task).await?;
            done += n;
            run.progress(db, done).await?;
            progress(done, total as u64);
        }
        // What changed during the copy, into the new index; then the swap;
        // then what changed between the last replay and the swap, into the
        // (new) live index, with the flag cleared in the same transaction.
        while self.replay(db, &next, false).await? > 0 {
            run.progress(db, done).await?;
        }
        if !super::indexer::setting(db).await?.rebuilding {
            return Err(Error::Refused(
                "the rebuild was ended while this reindex stalled; run it again".into(),
            ));
        }
        let swap =
            meilisearch_sdk::client::SwapIndexes { indexes: (live.clone(), next.clone()), rename: None };
        self.wait(self.client.swap_indexes([&swap]).await?).await?;
        self.replay(db, &live, true).await?;
        self.drop_index(&next).await?;
        Ok(done)
    }

    /// Applies up to a batch of logged keys to index `name`; with `last`,
    /// applies all of them and ends the rebuild. Returns how many it applied.
    async fn replay(&self, db: &PgPool, name: &str, last: bool) -> Result<usize, Error> {
        let mut tx = db.begin().await?;
        let result = self.replay_in(&mut tx, name, last).await;
        finish(tx, result).await
    }

    async fn replay_in(&self, tx: &mut sqlx::PgConnection, name: &str, last: bool) -> Result<usize, Error> {
        sqlx::query("select pg_advisory_xact_lock($1)").bind(INDEX_LOCK).execute(&mut *tx).await?;
        let keys: Vec<(Uuid, i64)> = sqlx::query_as(if last {
            "delete from search_rebuild_log returning channel_id, seq"
        } else {
            "delete from search_rebuild_log where (channel_id, seq) in
               (select channel_id, seq from search_rebuild_log limit 2000) returning channel_id, seq"
        })
        .fetch_all(&mut *tx)
        .await?;
        for chunk in keys.chunks(BATCH as usize) {
            apply(self, &mut *tx, name, chunk).await?;
        }
        if last {
            sqlx::query("update search_setting set rebuilding = false, meili_ready = true")
                .execute(&mut *tx)
                .await?;
        }
        Ok(keys.len())
    }

    /// Rewrites one workspace's documents in place and removes its stale
    /// ones (see the module docs). The index must have been filled once by
    /// a full reindex for queries to use it.
    pub async fn reindex_workspace(
        &self,
        db: &PgPool,
        workspace: Uuid,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<u64, Error> {
        let lock = exclusive(db).await?;
        let total = count(db, Some(workspace)).await?;
        let run = Run::start(db, Some(workspace), total).await?;
        let result = async {
            self.configure().await?;
            sqlx::query("update search_setting set outbox_enabled = true").execute(db).await?;
            let started: i64 =
                sqlx::query_scalar("select (extract(epoch from clock_timestamp()) * 1000)::bigint")
                    .fetch_one(db)
                    .await?;
            let (mut after, mut done) = ((Uuid::nil(), 0i64), 0u64);
            loop {
                let keys = keys_after(db, Some(workspace), after).await?;
                let Some(last) = keys.last() else { break };
                after = *last;
                let mut tx = db.begin().await?;
                let result = async {
                    sqlx::query("select pg_advisory_xact_lock($1)")
                        .bind(INDEX_LOCK)
                        .execute(&mut *tx)
                        .await?;
                    apply(self, &mut tx, self.index(), &keys).await
                }
                .await;
                finish(tx, result).await?;
                done += keys.len() as u64;
                run.progress(db, done).await?;
                progress(done, total as u64);
            }
            let stale = format!("workspace = \"{workspace}\" AND (gen < {started} OR gen NOT EXISTS)");
            let index = self.client.index(self.index());
            let mut q = meilisearch_sdk::documents::DocumentDeletionQuery::new(&index);
            q.with_filter(&stale);
            self.wait(index.delete_documents_with(&q).await?).await?;
            Ok(done)
        }
        .await;
        run.finish(db, &result).await;
        release(lock).await;
        result
    }
}

/// The newest reindex that concerns `workspace` (its own or a full one),
/// as (status, done, total), with `running` turned into `interrupted` when
/// it has not reported for ten minutes.
pub async fn latest(db: &PgPool, workspace: Uuid) -> Result<Option<(String, i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select case when status = 'running' and heartbeat_at < now() - interval '10 minutes'
                     then 'interrupted' else status end, done, total
         from search_reindex where workspace_id is null or workspace_id = $1
         order by started_at desc limit 1",
    )
    .bind(workspace)
    .fetch_optional(db)
    .await
}
