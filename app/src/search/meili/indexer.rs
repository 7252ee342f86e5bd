//! The indexer: keeps Meilisearch up to date from the transactional outbox.
//!
//! A trigger on `message` writes a row to `search_outbox` in the same
//! transaction as every insert, edit and delete, while the outbox is on
//! (`search_setting.outbox_enabled`, switched only by a command:
//! [`set_outbox`], `threadspace reindex` and `threadspace search-outbox`;
//! never by a node's configuration).
//!
//! [`Meili::drain`] applies a batch under a transaction-level advisory lock
//! ([`INDEX_LOCK`]), so one indexer at a time writes to the index, whatever
//! the number of nodes: it reads each message's current state in Postgres
//! after taking the lock, so a batch can never apply an older snapshot after
//! a newer one. Only once Meilisearch has finished the task are the outbox
//! rows deleted; a crash or an unreachable Meilisearch leaves them for the
//! next attempt, and replaying a row is harmless.

use std::sync::atomic::Ordering;
use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

use super::client::{docs_and_gone, Error, Meili};

/// The advisory lock every writer of the index takes (the indexer, a
/// reindex's replay and a workspace reindex).
pub const INDEX_LOCK: i64 = 0x5EA2_C400_0001;

/// Beyond this many queued changes the index is behind: queries go to
/// Postgres until it catches up, which also bounds the pending messages the
/// Meilisearch backend searches on Postgres ([`crate::search::pending`]).
pub const BEHIND_ROWS: i64 = 10_000;

/// The most outbox rows one Meilisearch task applies. A task costs
/// Meilisearch about the same whatever its size on a large index, so the
/// indexer takes everything queued up to this: under load its batches grow
/// until they keep up.
pub const DRAIN_BATCH: i64 = 5_000;

/// The switches in `search_setting`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Setting {
    pub outbox_enabled: bool,
    pub meili_ready: bool,
    pub rebuilding: bool,
}

pub async fn setting(db: &PgPool) -> Result<Setting, sqlx::Error> {
    sqlx::query_as("select outbox_enabled, meili_ready, rebuilding from search_setting").fetch_one(db).await
}

/// Turns the outbox on, or off: off drops what was queued and marks the
/// index as not ready (queries use Postgres until a reindex fills it again).
pub async fn set_outbox(db: &PgPool, enabled: bool) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("update search_setting set outbox_enabled = $1, meili_ready = meili_ready and $1")
        .bind(enabled)
        .execute(&mut *tx)
        .await?;
    if !enabled {
        sqlx::query("delete from search_outbox").execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// Applies the current state of `keys` to index `name`, under the index
/// lock held by `tx`.
pub(crate) async fn apply(
    m: &Meili,
    tx: &mut sqlx::PgConnection,
    name: &str,
    keys: &[(Uuid, i64)],
) -> Result<(), Error> {
    let (docs, gone) = docs_and_gone(&mut *tx, keys).await?;
    m.upsert_into(name, &docs).await?;
    m.remove_from(name, &gone).await
}

/// Ends a transaction that holds the index lock: commits what succeeded,
/// and rolls back a failure *now*. A dropped transaction only queues its
/// rollback until its connection is next used, and until then the lock
/// stays held: every other indexer would find it taken.
pub(crate) async fn finish<T>(
    tx: sqlx::Transaction<'_, sqlx::Postgres>,
    result: Result<T, Error>,
) -> Result<T, Error> {
    match result {
        Ok(v) => {
            tx.commit().await?;
            Ok(v)
        }
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

impl Meili {
    /// Whether a reindex has filled the index.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    /// Whether more than [`BEHIND_ROWS`] changes wait to be indexed.
    pub fn is_behind(&self) -> bool {
        self.behind.load(Ordering::Relaxed)
    }

    /// Whether queries may use Meilisearch: filled, and not behind.
    pub fn answers(&self) -> bool {
        self.is_ready() && !self.is_behind()
    }

    /// Indexes one batch of the outbox; returns how many rows it handled
    /// (0 also when another indexer holds the lock).
    pub async fn drain(&self, db: &PgPool, batch: i64) -> Result<usize, Error> {
        let mut tx = db.begin().await?;
        let result = self.drain_in(&mut tx, batch).await;
        finish(tx, result).await
    }

    async fn drain_in(&self, tx: &mut sqlx::PgConnection, batch: i64) -> Result<usize, Error> {
        let locked: bool = sqlx::query_scalar("select pg_try_advisory_xact_lock($1)")
            .bind(INDEX_LOCK)
            .fetch_one(&mut *tx)
            .await?;
        if !locked {
            return Ok(0);
        }
        let rows: Vec<(i64, Uuid, i64)> =
            sqlx::query_as("select id, channel_id, seq from search_outbox order by id limit $1")
                .bind(batch)
                .fetch_all(&mut *tx)
                .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let mut keys: Vec<(Uuid, i64)> = rows.iter().map(|r| (r.1, r.2)).collect();
        keys.sort();
        keys.dedup();
        apply(self, &mut *tx, self.index(), &keys).await?;
        // While a full reindex builds its new index, it replays these keys
        // into it (see reindex.rs); the flag is read after the apply.
        let (c, s): (Vec<Uuid>, Vec<i64>) = keys.iter().copied().unzip();
        sqlx::query(
            "insert into search_rebuild_log (channel_id, seq)
             select * from unnest($1::uuid[], $2::bigint[]) where (select rebuilding from search_setting)
             on conflict do nothing",
        )
        .bind(&c)
        .bind(&s)
        .execute(&mut *tx)
        .await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
        sqlx::query("delete from search_outbox where id = any($1)").bind(&ids).execute(&mut *tx).await?;
        Ok(rows.len())
    }

    /// Reads whether the index may answer queries (filled, and not more than
    /// [`BEHIND_ROWS`] changes behind). Also ends a rebuild
    /// whose reindex died (no progress for 30 minutes), so the rebuild log
    /// does not grow for ever; that reindex, if it comes back, refuses to
    /// swap (see reindex.rs).
    pub async fn refresh(&self, db: &PgPool) -> Result<Setting, sqlx::Error> {
        // The switches, and the queue's length from its two ends (two probes
        // of its primary key, whatever its size; ids are dense, so this is
        // its length or a little more), in one statement.
        let (mut s, queued): (Setting, i64) = {
            let (outbox_enabled, meili_ready, rebuilding, queued) = sqlx::query_as(
                "select outbox_enabled, meili_ready, rebuilding,
                        (select coalesce(max(id) - min(id) + 1, 0) from search_outbox)
                 from search_setting",
            )
            .fetch_one(db)
            .await?;
            (Setting { outbox_enabled, meili_ready, rebuilding }, queued)
        };
        if s.rebuilding {
            let healed = sqlx::query(
                "with ended as (
                   update search_setting set rebuilding = false
                   where rebuilding and not exists (
                     select 1 from search_reindex where status = 'running' and workspace_id is null
                       and heartbeat_at > now() - interval '30 minutes')
                   returning 1)
                 delete from search_rebuild_log where exists (select 1 from ended)",
            )
            .execute(db)
            .await?;
            if healed.rows_affected() > 0 || !setting(db).await?.rebuilding {
                tracing::warn!("a full reindex stopped reporting 30 minutes ago; its rebuild was ended");
                s.rebuilding = false;
            }
        }
        self.ready.store(s.meili_ready && s.outbox_enabled, Ordering::Relaxed);
        self.behind.store(queued > BEHIND_ROWS, Ordering::Relaxed);
        Ok(s)
    }

    /// Keeps the index up to date in the background: configures it
    /// (retrying until Meilisearch answers), then drains the outbox, polling
    /// every 100 ms when it is empty and backing off (up to 30 s) on errors.
    /// Each poll also refreshes [`Meili::is_ready`].
    pub fn start(self: std::sync::Arc<Self>, db: PgPool) {
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(500);
            while let Err(e) = self.configure().await {
                tracing::warn!(error = %e, "meilisearch is not ready; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
            backoff = Duration::from_millis(500);
            loop {
                let on = match self.refresh(&db).await {
                    Ok(s) => s.outbox_enabled,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot read the search settings");
                        false
                    }
                };
                let done = if on { self.drain(&db, DRAIN_BATCH).await } else { Ok(0) };
                match done {
                    Ok(0) => tokio::time::sleep(Duration::from_millis(100)).await,
                    Ok(_) => backoff = Duration::from_millis(500),
                    Err(e) => {
                        tracing::warn!(error = %e, "search indexing failed; the outbox keeps the rows, retrying");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(30));
                    }
                }
            }
        });
    }
}
