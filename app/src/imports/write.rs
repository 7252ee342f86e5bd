//! Writing an import: conversations first (so `<#C…>` links have somewhere
//! to point), then each conversation's messages in `ts` order, thousands
//! per transaction as multi-row inserts, then its members and the events
//! that make it appear for live clients.
//!
//! Every transaction records how far it got (`import_conversation.last_ts`,
//! the job's counters) with what it wrote, so a crash loses at most the
//! transaction in flight and a resumed import goes on exactly after it.
//! Seqs follow `ts` order: each batch takes its seqs from the channel's
//! counter under the channel's row lock, as a send does. The search
//! vocabulary and the Meilisearch outbox are filled once per batch (the
//! per-row triggers step aside while `threadspace.bulk_import` is on).

use std::collections::{HashMap, HashSet};

use sqlx::PgConnection;
use uuid::Uuid;

use super::model::{at, Conv, Kind, Messages, Msg, Source};
use super::rows::Rows;
use crate::core::ctx::Ctx;
use crate::error::{AppError, AppResult};
use crate::files::upload::FileService;
use crate::realtime::bus::Topic;
use crate::realtime::{ChannelSummary, Event};

/// Marks a transaction as an import's: the per-row search triggers step
/// aside (the batch fills the search tables itself), and statements get a
/// timeout fit for batches of thousands of rows instead of the API's.
pub async fn bulk(tx: &mut PgConnection) -> AppResult<()> {
    sqlx::query("select set_config('threadspace.bulk_import', 'on', true), set_config('statement_timeout', '300s', true)")
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Where a conversation goes.
#[derive(Debug, Clone)]
pub struct Target {
    pub channel: Uuid,
    /// Created by the import (else merged into an existing channel).
    pub created: bool,
    pub last_ts: Option<String>,
    pub done: bool,
    pub name: Option<String>,
}

/// A ThreadSpace channel name for a Slack one.
pub fn channel_name(s: &str) -> String {
    let n: String = s
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-' { c } else { '-' })
        .take(80)
        .collect();
    let n = n.trim_matches('-').to_string();
    if n.is_empty() {
        "imported".into()
    } else {
        n
    }
}

/// What happens to a conversation: (`new` | `merge` | `rename` | `again`,
/// its channel name). `taken` holds the names in use, and grows with the
/// names this import takes.
pub fn decide(
    conv: &Conv,
    again: Option<&str>,
    merge: bool,
    taken: &mut HashSet<String>,
) -> (String, Option<String>) {
    if let Some(name) = again {
        return ("again".into(), Some(name.to_string()).filter(|n| !n.is_empty()));
    }
    if conv.kind.is_dm() {
        return ("new".into(), None);
    }
    let name = channel_name(&conv.name());
    if !taken.contains(&name) {
        taken.insert(name.clone());
        return ("new".into(), Some(name));
    }
    if merge {
        return ("merge".into(), Some(name));
    }
    for i in 1.. {
        let suffix = if i == 1 { "-slack".to_string() } else { format!("-slack-{i}") };
        let base: String = name.chars().take(80 - suffix.len()).collect();
        let candidate = format!("{base}{suffix}");
        if taken.insert(candidate.clone()) {
            return ("rename".into(), Some(candidate));
        }
    }
    unreachable!("some name is free")
}

/// The workspace's channel names, and the conversations imported before
/// (Slack id → channel, created, last ts, done, name).
pub async fn existing(
    db: &mut PgConnection,
    workspace: Uuid,
) -> AppResult<(HashSet<String>, HashMap<String, Target>)> {
    let names: Vec<String> =
        sqlx::query_scalar("select name from channel where workspace_id = $1 and name is not null")
            .bind(workspace)
            .fetch_all(&mut *db)
            .await?;
    type Imported = (String, Uuid, bool, Option<String>, bool, Option<String>);
    let rows: Vec<Imported> = sqlx::query_as(
        "select i.slack_id, i.channel_id, i.created, i.last_ts, i.done, c.name
           from import_conversation i join channel c using (channel_id) where i.workspace_id = $1",
    )
    .bind(workspace)
    .fetch_all(&mut *db)
    .await?;
    let targets = rows
        .into_iter()
        .map(|(id, channel, created, last_ts, done, name)| {
            (id, Target { channel, created, last_ts, done, name })
        })
        .collect();
    Ok((names.into_iter().collect(), targets))
}

/// Creates (or finds) the channel of every conversation not imported yet.
pub async fn channels(
    tx: &mut PgConnection,
    workspace: Uuid,
    convs: &[Conv],
    merge: bool,
    people: &HashMap<String, Uuid>,
) -> AppResult<HashMap<String, Target>> {
    let (mut taken, mut targets) = existing(tx, workspace).await?;
    for conv in convs {
        if targets.contains_key(&conv.info.id) {
            continue;
        }
        let (action, name) = decide(conv, None, merge, &mut taken);
        let created_at = conv.info.created.map(|s| at(s.saturating_mul(1_000_000)));
        let topic =
            super::people::clean(&conv.info.topic.as_ref().map(|t| t.value.clone()).unwrap_or_default(), 250);
        let purpose = super::people::clean(
            &conv.info.purpose.as_ref().map(|t| t.value.clone()).unwrap_or_default(),
            250,
        );
        let (channel, created) = if conv.kind.is_dm() {
            let mut ids: Vec<Uuid> =
                conv.info.members.iter().filter_map(|m| people.get(m)).copied().collect();
            ids.sort();
            ids.dedup();
            let key = crate::channels::queries::dm_key(&ids);
            let kind = if conv.kind == Kind::Dm && ids.len() <= 2 { "dm" } else { "group_dm" };
            let new: Option<Uuid> = sqlx::query_scalar(
                "insert into channel (channel_id, workspace_id, kind, dm_key, created_at)
                 values ($1, $2, $3, $4, coalesce($5, now()))
                 on conflict on constraint channel_workspace_dm_key do nothing returning channel_id",
            )
            .bind(Uuid::now_v7())
            .bind(workspace)
            .bind(kind)
            .bind(&key)
            .bind(created_at)
            .fetch_optional(&mut *tx)
            .await?;
            match new {
                Some(id) => (id, true),
                None => (
                    sqlx::query_scalar(
                        "select channel_id from channel where workspace_id = $1 and dm_key = $2",
                    )
                    .bind(workspace)
                    .bind(&key)
                    .fetch_one(&mut *tx)
                    .await?,
                    false,
                ),
            }
        } else if action == "merge" {
            let id: Uuid =
                sqlx::query_scalar("select channel_id from channel where workspace_id = $1 and name = $2")
                    .bind(workspace)
                    .bind(&name)
                    .fetch_one(&mut *tx)
                    .await?;
            (id, false)
        } else {
            let id = Uuid::now_v7();
            sqlx::query(
                "insert into channel (channel_id, workspace_id, kind, name, topic, purpose, created_at)
                 values ($1, $2, $3, $4, $5, $6, coalesce($7, now()))",
            )
            .bind(id)
            .bind(workspace)
            .bind(conv.kind.as_str())
            .bind(&name)
            .bind(&topic)
            .bind(&purpose)
            .bind(created_at)
            .execute(&mut *tx)
            .await?;
            (id, true)
        };
        sqlx::query(
            "insert into import_conversation (workspace_id, slack_id, channel_id, created) values ($1, $2, $3, $4)",
        )
        .bind(workspace)
        .bind(&conv.info.id)
        .bind(channel)
        .bind(created)
        .execute(&mut *tx)
        .await?;
        targets.insert(conv.info.id.clone(), Target { channel, created, last_ts: None, done: false, name });
    }
    Ok(targets)
}

/// How a batch ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every message of the conversation is stored.
    Complete,
    /// The job was cancelled (or lost its claim): nothing more is written.
    Stopped,
}

/// Writes one conversation's messages.
pub struct Writer<'a> {
    pub ctx: &'a Ctx,
    pub files: &'a FileService,
    pub workspace: Uuid,
    pub import: Uuid,
    pub people: &'a HashMap<String, Uuid>,
    /// Member → display name, for mentions.
    pub names: &'a HashMap<Uuid, String>,
    pub batch: usize,
}

impl Writer<'_> {
    /// Stores the messages after `target.last_ts`, a batch per transaction.
    /// `budget` (tests) stops after that many batches as a crash would.
    pub async fn messages(
        &self,
        src: &mut Source,
        conv: &str,
        target: &mut Target,
        msgs: &Messages,
        budget: &std::cell::Cell<Option<usize>>,
    ) -> AppResult<Outcome> {
        let start = match &target.last_ts {
            Some(t) => msgs.list.iter().position(|m| &m.ts == t).map_or(0, |i| i + 1),
            None => 0,
        };
        let mut seqs = self.known_seqs(target).await?;
        for batch in msgs.list[start..].chunks(self.batch.max(1)) {
            match budget.get() {
                Some(0) => return Err(AppError::Unavailable { retry_after_secs: 0 }),
                Some(b) => budget.set(Some(b - 1)),
                None => {}
            }
            if !self.batch_tx(src, conv, target, msgs, batch, &mut seqs).await? {
                return Ok(Outcome::Stopped);
            }
            target.last_ts = batch.last().map(|m| m.ts.clone());
        }
        Ok(Outcome::Complete)
    }

    /// Thread roots already stored (a resumed import): `ts` → seq.
    async fn known_seqs(&self, target: &Target) -> AppResult<HashMap<String, i64>> {
        if target.last_ts.is_none() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "select substr(client_msg_id, 7), seq from message
              where channel_id = $1 and client_msg_id like 'slack:%' and reply_count > 0",
        )
        .bind(target.channel)
        .fetch_all(&**self.ctx)
        .await?;
        Ok(rows.into_iter().collect())
    }

    /// The files of a batch, stored before its transaction (content is
    /// deduplicated, so a retried batch stores nothing twice).
    async fn store_files(&self, src: &mut Source, batch: &[Msg]) -> AppResult<Vec<Vec<(Uuid, String)>>> {
        let mut out = Vec::with_capacity(batch.len());
        for m in batch {
            let mut files = Vec::new();
            for f in &m.files {
                let Some(entry) = &f.entry else { continue };
                let bytes = src.zip.read(entry, crate::files::MAX_FILE_BYTES).map_err(|e| {
                    tracing::warn!(entry, error = %e, "import: a file could not be read");
                    AppError::Internal
                })?;
                if bytes.is_empty() {
                    continue;
                }
                let blob = self.files.store_bytes(self.ctx, self.workspace, &f.name, &bytes).await?;
                files.push((blob, f.name.clone()));
            }
            out.push(files);
        }
        Ok(out)
    }

    /// One batch in one transaction; `false` if the job no longer runs.
    async fn batch_tx(
        &self,
        src: &mut Source,
        conv: &str,
        target: &Target,
        msgs: &Messages,
        batch: &[Msg],
        seqs: &mut HashMap<String, i64>,
    ) -> AppResult<bool> {
        let files = self.store_files(src, batch).await?;
        let mut tx = self.ctx.begin().await?;
        bulk(&mut tx).await?;
        let n = batch.len() as i64;
        let last_at = at(batch.last().map_or(0, |m| m.micros));
        let top: i64 = sqlx::query_scalar(
            "update channel set last_seq = last_seq + $2,
                    last_message_at = greatest(coalesce(last_message_at, $3), $3)
              where channel_id = $1 returning last_seq",
        )
        .bind(target.channel)
        .bind(n)
        .bind(last_at)
        .fetch_one(&mut *tx)
        .await?;
        let rows = Rows::build(self.people, self.names, msgs, batch, &files, top - n + 1, seqs);
        rows.insert(&mut tx, self.workspace, target.channel).await?;
        sqlx::query("update import_conversation set last_ts = $3 where workspace_id = $1 and slack_id = $2")
            .bind(self.workspace)
            .bind(conv)
            .bind(batch.last().map(|m| m.ts.clone()))
            .execute(&mut *tx)
            .await?;
        let files_n = files.iter().map(Vec::len).sum::<usize>() as i64;
        let running = sqlx::query(
            "update import_job set messages_done = messages_done + $2, files_done = files_done + $3,
                    heartbeat_at = now()
              where import_id = $1 and status = 'importing'",
        )
        .bind(self.import)
        .bind(n)
        .bind(files_n)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !running {
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }
}

impl Writer<'_> {
    /// Ends a conversation: its members join (read up to its last message, so
    /// history does not show as unread), an archived one is archived, and
    /// live clients learn of it.
    pub async fn finish(&self, conv: &Conv, target: &mut Target) -> AppResult<()> {
        let (workspace, people) = (self.workspace, self.people);
        let mut tx = self.ctx.begin().await?;
        let members: Vec<Uuid> = conv.info.members.iter().filter_map(|m| people.get(m)).copied().collect();
        let joined: Vec<Uuid> = sqlx::query_scalar(
            "insert into channel_member (channel_id, member_id, last_read_seq)
         select $1, m, (select last_seq from channel where channel_id = $1) from unnest($2::uuid[]) m
         on conflict do nothing returning member_id",
        )
        .bind(target.channel)
        .bind(&members)
        .fetch_all(&mut *tx)
        .await?;
        let row: (Option<String>, String, String, String, bool) = sqlx::query_as(
        "update channel set archived_at = case when $2 and $3 then coalesce(archived_at, now()) else archived_at end
          where channel_id = $1 returning name, kind, topic, purpose, archived_at is not null",
    )
    .bind(target.channel)
    .bind(target.created)
    .bind(conv.info.is_archived)
    .fetch_one(&mut *tx)
    .await?;
        sqlx::query("update import_conversation set done = true where workspace_id = $1 and slack_id = $2")
            .bind(workspace)
            .bind(&conv.info.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
        "update import_job set conversations_done = conversations_done + 1, heartbeat_at = now() where import_id = $1",
    )
    .bind(self.import)
        .execute(&mut *tx)
        .await?;
        let (name, kind, topic, purpose, archived) = row;
        let summary = ChannelSummary {
            id: target.channel,
            name,
            is_private: kind != "public",
            is_dm: kind == "dm" || kind == "group_dm",
            is_archived: archived,
            topic,
            purpose,
        };
        let ev = Event::ChannelCreated { channel: summary.clone() };
        if target.created && !summary.is_private {
            tx.emit(Topic::Workspace(workspace), ev.clone());
        }
        for m in &joined {
            if summary.is_private || !target.created {
                tx.emit(Topic::Member(*m), ev.clone());
            }
            tx.emit(Topic::Member(*m), Event::MemberJoined { channel: target.channel, user: *m });
        }
        tx.commit().await?;
        target.done = true;
        Ok(())
    }
}
