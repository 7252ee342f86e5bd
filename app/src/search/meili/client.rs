//! The Meilisearch client: one index (its name from the configuration, so
//! tests and deployments sharing a server never share an index), its
//! documents, and queries whose hits are checked against Postgres.

use std::time::Duration;

use meilisearch_sdk::client::Client;
use meilisearch_sdk::errors::Error as MeiliError;
use meilisearch_sdk::search::Selectors;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

use super::phrases;
use crate::search::query::{Has, Query};
use crate::search::{snippet_html, Match, Sort, MARK_END, MARK_START};

/// The index name when none is configured.
pub const DEFAULT_INDEX: &str = "messages";
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
    /// When the document was read from Postgres (database clock, ms): a
    /// workspace reindex removes what it did not rewrite (`gen` older than
    /// its start).
    #[serde(default)]
    pub gen: i64,
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
    #[error("{0}")]
    Refused(String),
}

/// A configured Meilisearch and the name of the live index.
#[derive(Debug)]
pub struct Meili {
    pub(crate) client: Client,
    index: String,
    /// Whether queries may use the index (`search_setting.meili_ready`,
    /// refreshed by the indexer loop).
    pub(crate) ready: std::sync::atomic::AtomicBool,
    /// Whether more than [`super::BEHIND_ROWS`] changes wait in the outbox (also
    /// refreshed by the indexer loop): queries then go to Postgres.
    pub(crate) behind: std::sync::atomic::AtomicBool,
}

const TASK_WAIT: Option<Duration> = Some(Duration::from_secs(600));
const POLL: Option<Duration> = Some(Duration::from_millis(25));

impl Meili {
    /// `index` is the live index's name (`THREADSPACE_MEILI_INDEX`).
    pub fn new(url: &str, key: Option<&str>, index: &str) -> Result<Meili, Error> {
        let ok = !index.is_empty()
            && index.len() <= 200
            && index.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !ok {
            return Err(Error::Refused(format!("index name `{index}`: use 1-200 of a-z, 0-9, _ and -")));
        }
        Ok(Meili {
            client: Client::new(url.trim_end_matches('/'), key)?,
            index: index.into(),
            ready: Default::default(),
            behind: Default::default(),
        })
    }

    /// The live index's name.
    pub fn index(&self) -> &str {
        &self.index
    }

    pub(crate) async fn wait(&self, task: meilisearch_sdk::task_info::TaskInfo) -> Result<(), Error> {
        let done = task.wait_for_completion(&self.client, POLL, TASK_WAIT).await?;
        if done.is_failure() {
            return Err(Error::Task(format!("{:?}", done.unwrap_failure())));
        }
        Ok(())
    }

    /// Adds or replaces documents in index `name` and waits until they are searchable.
    pub async fn upsert_into(&self, name: &str, docs: &[Doc]) -> Result<(), Error> {
        if docs.is_empty() {
            return Ok(());
        }
        self.wait(self.client.index(name).add_or_replace(docs, Some("id")).await?).await
    }

    /// Removes documents by id from index `name` (missing ones are fine).
    pub async fn remove_from(&self, name: &str, ids: &[String]) -> Result<(), Error> {
        if ids.is_empty() {
            return Ok(());
        }
        self.wait(self.client.index(name).delete_documents(ids).await?).await
    }

    /// Whether Meilisearch answers.
    pub async fn healthy(&self) -> bool {
        self.client.health().await.is_ok()
    }

    /// A document of the live index by id (`None` if there is none).
    pub async fn document(&self, id: &str) -> Result<Option<Doc>, Error> {
        use meilisearch_sdk::errors::{ErrorCode, MeilisearchError};
        match self.client.index(&self.index).get_document::<Doc>(id).await {
            Ok(d) => Ok(Some(d)),
            Err(MeiliError::Meilisearch(MeilisearchError {
                error_code: ErrorCode::DocumentNotFound,
                ..
            })) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes index `name` (nothing if it does not exist).
    pub async fn drop_index(&self, name: &str) -> Result<(), Error> {
        let task = self.client.delete_index(name).await?;
        let _ = task.wait_for_completion(&self.client, POLL, TASK_WAIT).await?;
        Ok(())
    }

    /// Runs a parsed query restricted to `channels` (already the caller's
    /// readable ones, narrowed by `in:`) and `users` (from `from:`).
    ///
    /// Every hit is checked against Postgres before it is returned: a
    /// message deleted, edited or moved out of reach since it was indexed
    /// is left out (the indexer brings the new state within a second).
    #[allow(clippy::too_many_arguments)]
    pub async fn search(
        &self,
        db: &PgPool,
        workspace: Uuid,
        channels: &[Uuid],
        users: Option<&[Uuid]>,
        q: &Query,
        sort: Sort,
        offset: usize,
        limit: usize,
    ) -> Result<(i64, Vec<Match>), Error> {
        let filter = filter(workspace, channels, users, q);
        let text = phrases::meili_text(q);
        let pre = MARK_START.to_string();
        let post = MARK_END.to_string();
        let by_date = ["created_at:desc"];
        let crop = [("text", Some(40))];
        let highlight = ["text"];
        let index = self.client.index(&self.index);
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
        let current =
            current_texts(db, channels, &res.hits.iter().map(|h| &h.result).collect::<Vec<_>>()).await?;
        let mut dropped = 0;
        let mut matches = Vec::with_capacity(res.hits.len());
        for h in res.hits {
            if current.get(&(h.result.channel, h.result.seq)) != Some(&h.result.text)
                || !phrases::matches(q, &h.result.text)
            {
                dropped += 1;
                continue;
            }
            let formatted = h
                .formatted_result
                .as_ref()
                .and_then(|f| f.get("text"))
                .and_then(|t| t.as_str())
                .map(str::to_string)
                .unwrap_or_else(|| h.result.text.chars().take(300).collect());
            let d = h.result;
            matches.push(Match {
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
            });
        }
        Ok(((total - dropped).max(matches.len() as i64), matches))
    }
}

/// The current text of each hit that is still live and within `channels`.
async fn current_texts(
    db: &PgPool,
    channels: &[Uuid],
    hits: &[&Doc],
) -> Result<std::collections::HashMap<(Uuid, i64), String>, sqlx::Error> {
    if hits.is_empty() {
        return Ok(Default::default());
    }
    let keys_c: Vec<Uuid> = hits.iter().map(|d| d.channel).collect();
    let keys_s: Vec<i64> = hits.iter().map(|d| d.seq).collect();
    let rows: Vec<(Uuid, i64, String)> = sqlx::query_as(
        "select g.channel_id, g.seq, g.body
         from unnest($1::uuid[], $2::bigint[]) k(channel_id, seq)
         join message g on g.channel_id = k.channel_id and g.seq = k.seq
         where g.deleted_at is null and g.channel_id = any($3)",
    )
    .bind(&keys_c)
    .bind(&keys_s)
    .bind(channels)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(c, s, b)| ((c, s), b)).collect())
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

#[derive(sqlx::FromRow)]
struct DocRow {
    channel_id: Uuid,
    seq: i64,
    thread_seq: Option<i64>,
    member_id: Uuid,
    display_name: String,
    body: String,
    created_at: time::OffsetDateTime,
    workspace_id: Uuid,
    channel_name: String,
    has_file: bool,
    has_link: bool,
    is_thread: bool,
    has_image: bool,
    gen: i64,
}

/// The current documents of live messages among `(channels[i], seqs[i])`,
/// read in `db` (a pool, or the indexer's transaction).
pub async fn docs_for<'e>(
    db: impl sqlx::PgExecutor<'e>,
    channels: &[Uuid],
    seqs: &[i64],
) -> Result<Vec<Doc>, sqlx::Error> {
    let rows: Vec<DocRow> = sqlx::query_as(
        "select g.channel_id, g.seq, g.thread_seq, g.member_id, m.display_name, g.body, g.created_at,
                c.workspace_id, coalesce('#' || c.name, 'a direct message') as channel_name,
                g.file_count > 0 as has_file, g.html like '%<a href=%' as has_link,
                (g.thread_seq is not null or g.reply_count > 0) as is_thread,
                exists (select 1 from file f join blob b using (blob_id)
                        where f.channel_id = g.channel_id and f.seq = g.seq and b.mimetype like 'image/%') as has_image,
                (extract(epoch from clock_timestamp()) * 1000)::bigint as gen
         from unnest($1::uuid[], $2::bigint[]) k(channel_id, seq)
         join message g on g.channel_id = k.channel_id and g.seq = k.seq
         join channel c on c.channel_id = g.channel_id
         join member m on m.member_id = g.member_id
         where g.deleted_at is null",
    )
    .bind(channels)
    .bind(seqs)
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
            gen: r.gen,
        })
        .collect())
}

/// `docs_for` plus the ids among the keys whose message is gone.
pub async fn docs_and_gone<'e>(
    db: impl sqlx::PgExecutor<'e>,
    keys: &[(Uuid, i64)],
) -> Result<(Vec<Doc>, Vec<String>), sqlx::Error> {
    let channels: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
    let seqs: Vec<i64> = keys.iter().map(|k| k.1).collect();
    let docs = docs_for(db, &channels, &seqs).await?;
    let live: std::collections::HashSet<&str> = docs.iter().map(|d| d.id.as_str()).collect();
    let gone = keys.iter().map(|(c, s)| doc_id(*c, *s)).filter(|id| !live.contains(id.as_str())).collect();
    Ok((docs, gone))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_follow_the_meilisearch_syntax() {
        let w = Uuid::from_u128(1);
        let c = [Uuid::from_u128(2), Uuid::from_u128(3)];
        let q =
            crate::search::query::parse("x after:2026-01-01 before:2026-02-01 has:file is:thread").unwrap();
        let f = filter(w, &c, Some(&[Uuid::from_u128(4)]), &q);
        assert_eq!(
            f,
            "workspace = \"00000000-0000-0000-0000-000000000001\" AND channel IN [\"00000000-0000-0000-0000-000000000002\", \
             \"00000000-0000-0000-0000-000000000003\"] AND user IN [\"00000000-0000-0000-0000-000000000004\"] AND \
             created_at >= 1767312000 AND created_at < 1769904000 AND has_file = true AND is_thread = true"
        );
        assert!(!supports(&crate::search::query::parse("has:reaction").unwrap()));
    }

    #[test]
    fn index_names_are_checked() {
        assert!(Meili::new("http://127.0.0.1:9", None, "messages").is_ok());
        assert!(Meili::new("http://127.0.0.1:9", None, "t_0af3-x").is_ok());
        assert!(Meili::new("http://127.0.0.1:9", None, "").is_err());
        assert!(Meili::new("http://127.0.0.1:9", None, "a/b").is_err());
    }
}
