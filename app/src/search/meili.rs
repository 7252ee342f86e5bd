//! The Meilisearch backend (typo tolerance and prefix search out of the
//! box), used when `MEILI_URL` is set.
//!
//! Postgres stays the system of record. A trigger on `message` writes a row
//! to `search_outbox` in the same transaction as every insert, edit and
//! delete; the indexer ([`Meili::drain`]) takes batches with `FOR UPDATE
//! SKIP LOCKED`, sends the messages' current state to Meilisearch, waits for
//! the task to succeed, and only then deletes the outbox rows. A crash or an
//! unreachable Meilisearch leaves the rows in place, so the index catches up
//! later; replaying a row is harmless (documents are replaced by id).

use std::time::Duration;

use meilisearch_sdk::client::Client;
use meilisearch_sdk::errors::Error as MeiliError;
use meilisearch_sdk::search::Selectors;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

use super::query::{Has, Query};
use super::{snippet_html, Match, Sort, MARK_END, MARK_START};

/// The index name.
pub const INDEX: &str = "messages";
/// Attributes filters may use.
pub const FILTERABLE: [&str; 8] =
    ["workspace", "channel", "user", "created_at", "has_file", "has_image", "has_link", "is_thread"];

/// One message as indexed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Doc {
    /// `<channel>_<seq>`.
    pub id: String,
    pub workspace: Uuid,
    pub channel: Uuid,
    pub channel_name: String,
    pub seq: i64,
    pub thread_seq: Option<i64>,
    pub user: Uuid,
    pub user_name: String,
    pub text: String,
    /// Unix seconds.
    pub created_at: i64,
    pub has_file: bool,
    pub has_image: bool,
    pub has_link: bool,
    pub is_thread: bool,
}

pub fn doc_id(channel: Uuid, seq: i64) -> String {
    format!("{channel}_{seq}")
}

/// Why a Meilisearch call failed (logged; search then falls back).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("meilisearch: {0}")]
    Meili(#[from] MeiliError),
    #[error("meilisearch task failed: {0}")]
    Task(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("meilisearch did not answer in time")]
    Timeout,
}

/// A configured Meilisearch.
#[derive(Debug, Clone)]
pub struct Meili {
    client: Client,
}

const TASK_WAIT: Option<Duration> = Some(Duration::from_secs(60));
const POLL: Option<Duration> = Some(Duration::from_millis(25));

impl Meili {
    pub fn new(url: &str, key: Option<&str>) -> Result<Meili, Error> {
        Ok(Meili { client: Client::new(url.trim_end_matches('/'), key)? })
    }

    async fn wait(&self, task: meilisearch_sdk::task_info::TaskInfo) -> Result<(), Error> {
        let done = task.wait_for_completion(&self.client, POLL, TASK_WAIT).await?;
        if done.is_failure() {
            return Err(Error::Task(format!("{:?}", done.unwrap_failure())));
        }
        Ok(())
    }

    /// Creates the index if needed and sets its filterable and sortable
    /// attributes (idempotent).
    pub async fn configure(&self) -> Result<(), Error> {
        let created = self.client.create_index(INDEX, Some("id")).await?;
        // "index_already_exists" is a failed task, which is fine here.
        let _ = created.wait_for_completion(&self.client, POLL, TASK_WAIT).await?;
        let index = self.client.index(INDEX);
        self.wait(index.set_filterable_attributes(FILTERABLE).await?).await?;
        self.wait(index.set_sortable_attributes(["created_at"]).await?).await?;
        self.wait(index.set_searchable_attributes(["text"]).await?).await?;
        Ok(())
    }

    /// Adds or replaces documents and waits until they are searchable.
    pub async fn upsert(&self, docs: &[Doc]) -> Result<(), Error> {
        if docs.is_empty() {
            return Ok(());
        }
        let task = self.client.index(INDEX).add_or_replace(docs, Some("id")).await?;
        self.wait(task).await
    }

    /// Removes documents by id (missing ones are fine).
    pub async fn remove(&self, ids: &[String]) -> Result<(), Error> {
        if ids.is_empty() {
            return Ok(());
        }
        let task = self.client.index(INDEX).delete_documents(ids).await?;
        self.wait(task).await
    }

    /// Whether Meilisearch answers.
    pub async fn healthy(&self) -> bool {
        self.client.health().await.is_ok()
    }

    /// Indexes one batch of the outbox; returns how many rows it handled.
    pub async fn drain(&self, db: &PgPool, batch: i64) -> Result<usize, Error> {
        let mut tx = db.begin().await?;
        let rows = sqlx::query!(
            "select id, channel_id, seq from search_outbox order by id limit $1 for update skip locked",
            batch
        )
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let mut keys: Vec<(Uuid, i64)> = rows.iter().map(|r| (r.channel_id, r.seq)).collect();
        keys.sort();
        keys.dedup();
        let channels: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let seqs: Vec<i64> = keys.iter().map(|k| k.1).collect();
        let docs = docs_for(db, &channels, &seqs).await?;
        let live: std::collections::HashSet<String> = docs.iter().map(|d| d.id.clone()).collect();
        let gone: Vec<String> =
            keys.iter().map(|(c, s)| doc_id(*c, *s)).filter(|id| !live.contains(id)).collect();
        self.upsert(&docs).await?;
        self.remove(&gone).await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        sqlx::query!("delete from search_outbox where id = any($1)", &ids).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(rows.len())
    }

    /// Runs a parsed query restricted to `channels` (already the caller's
    /// readable ones, narrowed by `in:`) and `users` (from `from:`).
    #[allow(clippy::too_many_arguments)]
    pub async fn search(
        &self,
        workspace: Uuid,
        channels: &[Uuid],
        users: Option<&[Uuid]>,
        q: &Query,
        sort: Sort,
        offset: usize,
        limit: usize,
    ) -> Result<(i64, Vec<Match>), Error> {
        let filter = filter(workspace, channels, users, q);
        let text = q.websearch();
        let pre = MARK_START.to_string();
        let post = MARK_END.to_string();
        let by_date = ["created_at:desc"];
        let crop = [("text", Some(40))];
        let highlight = ["text"];
        let index = self.client.index(INDEX);
        let mut s = index.search();
        s.with_query(&text)
            .with_filter(&filter)
            .with_offset(offset)
            .with_limit(limit)
            .with_attributes_to_crop(Selectors::Some(&crop))
            .with_attributes_to_highlight(Selectors::Some(&highlight))
            .with_highlight_pre_tag(&pre)
            .with_highlight_post_tag(&post)
            .with_crop_marker("…");
        if sort == Sort::Timestamp || text.is_empty() {
            s.with_sort(&by_date);
        }
        let res = tokio::time::timeout(Duration::from_secs(2), s.execute::<Doc>())
            .await
            .map_err(|_| Error::Timeout)??;
        let total = res.estimated_total_hits.or(res.total_hits).unwrap_or(res.hits.len()) as i64;
        let matches = res
            .hits
            .into_iter()
            .map(|h| {
                let formatted = h
                    .formatted_result
                    .as_ref()
                    .and_then(|f| f.get("text"))
                    .and_then(|t| t.as_str())
                    .map(str::to_string)
                    .unwrap_or_else(|| h.result.text.chars().take(300).collect());
                let d = h.result;
                Match {
                    channel: d.channel,
                    channel_name: d.channel_name,
                    seq: d.seq,
                    thread_seq: d.thread_seq,
                    user: d.user,
                    user_name: d.user_name,
                    snippet_html: snippet_html(&formatted),
                    text: d.text,
                    created_at: time::OffsetDateTime::from_unix_timestamp(d.created_at)
                        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
                }
            })
            .collect();
        Ok((total, matches))
    }
}

/// Turns the outbox trigger on (with a Meilisearch) or off (without one,
/// dropping what was queued: a later `threadspace reindex` rebuilds it all).
pub async fn set_outbox(db: &PgPool, enabled: bool) -> Result<(), sqlx::Error> {
    sqlx::query!("update search_setting set outbox_enabled = $1", enabled).execute(db).await?;
    if !enabled {
        sqlx::query!("delete from search_outbox").execute(db).await?;
    }
    Ok(())
}

impl Meili {
    /// Keeps the index up to date in the background: configures it
    /// (retrying until Meilisearch answers), then drains the outbox, polling
    /// every 200 ms when it is empty and backing off (up to 30 s) on errors.
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
                match self.drain(&db, 500).await {
                    Ok(0) => tokio::time::sleep(Duration::from_millis(200)).await,
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

    /// Rebuilds the index from Postgres: clears it, then adds every live
    /// message in batches, calling `progress(done, total)` after each.
    pub async fn reindex(&self, db: &PgPool, mut progress: impl FnMut(u64, u64)) -> Result<u64, Error> {
        self.configure().await?;
        self.wait(self.client.index(INDEX).delete_all_documents().await?).await?;
        let total = sqlx::query_scalar!(r#"select count(*) as "n!" from message where deleted_at is null"#)
            .fetch_one(db)
            .await? as u64;
        let (mut after_c, mut after_s, mut done) = (Uuid::nil(), 0i64, 0u64);
        loop {
            let keys = sqlx::query!(
                "select channel_id, seq from message where deleted_at is null and (channel_id, seq) > ($1, $2)
                 order by channel_id, seq limit 2000",
                after_c,
                after_s
            )
            .fetch_all(db)
            .await?;
            let Some(last) = keys.last() else { break };
            (after_c, after_s) = (last.channel_id, last.seq);
            let channels: Vec<Uuid> = keys.iter().map(|k| k.channel_id).collect();
            let seqs: Vec<i64> = keys.iter().map(|k| k.seq).collect();
            let docs = docs_for(db, &channels, &seqs).await?;
            self.upsert(&docs).await?;
            done += docs.len() as u64;
            progress(done, total);
        }
        Ok(done)
    }
}

/// The Meilisearch filter expression for a query: workspace, channels,
/// authors, dates and the boolean attributes.
pub fn filter(workspace: Uuid, channels: &[Uuid], users: Option<&[Uuid]>, q: &Query) -> String {
    let list = |ids: &[Uuid]| ids.iter().map(|i| format!("\"{i}\"")).collect::<Vec<_>>().join(", ");
    let mut parts = vec![format!("workspace = \"{workspace}\""), format!("channel IN [{}]", list(channels))];
    if let Some(u) = users {
        parts.push(format!("user IN [{}]", list(u)));
    }
    let secs = |d: time::Date| d.midnight().assume_utc().unix_timestamp();
    if let Some(a) = q.after.filter(|d| *d != time::Date::MIN) {
        parts.push(format!("created_at >= {}", secs(a)));
    }
    if let Some(b) = q.before.filter(|d| *d != time::Date::MAX) {
        parts.push(format!("created_at < {}", secs(b)));
    }
    for (h, attr) in [(Has::File, "has_file"), (Has::Image, "has_image"), (Has::Link, "has_link")] {
        if q.has.contains(&h) {
            parts.push(format!("{attr} = true"));
        }
    }
    if q.is_thread {
        parts.push("is_thread = true".into());
    }
    parts.join(" AND ")
}

/// Whether Meilisearch can answer this query (it does not index reactions).
pub fn supports(q: &Query) -> bool {
    !q.has.contains(&Has::Reaction)
}

/// The current documents of live messages among `(channels[i], seqs[i])`.
pub async fn docs_for(db: &PgPool, channels: &[Uuid], seqs: &[i64]) -> Result<Vec<Doc>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"select g.channel_id, g.seq, g.thread_seq, g.member_id, m.display_name, g.body, g.created_at,
                  c.workspace_id, coalesce('#' || c.name, 'a direct message') as "channel_name!",
                  g.file_count > 0 as "has_file!", g.html like '%<a href=%' as "has_link!",
                  (g.thread_seq is not null or g.reply_count > 0) as "is_thread!",
                  exists (select 1 from file f join blob b using (blob_id)
                          where f.channel_id = g.channel_id and f.seq = g.seq and b.mimetype like 'image/%') as "has_image!"
           from unnest($1::uuid[], $2::bigint[]) k(channel_id, seq)
           join message g on g.channel_id = k.channel_id and g.seq = k.seq
           join channel c on c.channel_id = g.channel_id
           join member m on m.member_id = g.member_id
           where g.deleted_at is null"#,
        channels,
        seqs
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Doc {
            id: doc_id(r.channel_id, r.seq),
            workspace: r.workspace_id,
            channel: r.channel_id,
            channel_name: r.channel_name,
            seq: r.seq,
            thread_seq: r.thread_seq,
            user: r.member_id,
            user_name: r.display_name,
            text: r.body,
            created_at: r.created_at.unix_timestamp(),
            has_file: r.has_file,
            has_image: r.has_image,
            has_link: r.has_link,
            is_thread: r.is_thread,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_follow_the_meilisearch_syntax() {
        let w = Uuid::from_u128(1);
        let c = [Uuid::from_u128(2), Uuid::from_u128(3)];
        let q =
            super::super::query::parse("x after:2026-01-01 before:2026-02-01 has:file is:thread").unwrap();
        let f = filter(w, &c, Some(&[Uuid::from_u128(4)]), &q);
        assert_eq!(
            f,
            "workspace = \"00000000-0000-0000-0000-000000000001\" AND channel IN [\"00000000-0000-0000-0000-000000000002\", \
             \"00000000-0000-0000-0000-000000000003\"] AND user IN [\"00000000-0000-0000-0000-000000000004\"] AND \
             created_at >= 1767312000 AND created_at < 1769904000 AND has_file = true AND is_thread = true"
        );
        assert!(!supports(&super::super::query::parse("has:reaction").unwrap()));
    }
}
