//! Writing an export: the workspace's people and conversations as the
//! Slack layout, a conversation at a time, into a zip in the upload
//! temporary directory, then moved into the file store.
//!
//! Messages are read a page at a time and written a day at a time, so
//! memory stays bounded by one day of one conversation; file bytes are
//! copied one file at a time (at most 25 MB). Zip writing is blocking I/O
//! and runs on the blocking pool.

use std::collections::HashMap;
use std::io::Write;

use time::OffsetDateTime;
use uuid::Uuid;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::job::Exporter;
use super::slack::{self, Conversation, Dm, Stamps, Text, User};
use crate::error::{AppError, AppResult};

/// Messages read per query.
const PAGE: i64 = 1000;

/// The zip being written; the writer moves to the blocking pool and back.
struct Zip(Option<ZipWriter<std::fs::File>>);

fn io_err(e: impl std::fmt::Display) -> AppError {
    tracing::warn!(error = %e, "export: writing the zip failed");
    AppError::Internal
}

impl Zip {
    async fn add(&mut self, path: String, bytes: Vec<u8>, compress: bool) -> AppResult<()> {
        let mut w = self.0.take().ok_or(AppError::Internal)?;
        let method = if compress { CompressionMethod::Deflated } else { CompressionMethod::Stored };
        let opts = SimpleFileOptions::default()
            .compression_method(method)
            .large_file(bytes.len() > u32::MAX as usize);
        let (w, r) = tokio::task::spawn_blocking(move || {
            let r =
                w.start_file(path, opts).map_err(io_err).and_then(|_| w.write_all(&bytes).map_err(io_err));
            (w, r)
        })
        .await
        .map_err(io_err)?;
        self.0 = Some(w);
        r
    }

    async fn json(&mut self, path: String, v: &impl serde::Serialize) -> AppResult<()> {
        let bytes = serde_json::to_vec_pretty(v).map_err(io_err)?;
        self.add(path, bytes, true).await
    }

    async fn finish(mut self) -> AppResult<()> {
        let w = self.0.take().ok_or(AppError::Internal)?;
        tokio::task::spawn_blocking(move || w.finish().map(|_| ()).map_err(io_err)).await.map_err(io_err)?
    }
}

#[derive(sqlx::FromRow)]
struct ConvRow {
    channel_id: Uuid,
    kind: String,
    name: Option<String>,
    created_at: OffsetDateTime,
    created_by: Option<Uuid>,
    archived: bool,
    is_general: bool,
    topic: String,
    purpose: String,
    members: Vec<Uuid>,
}

#[derive(sqlx::FromRow)]
struct MsgRow {
    seq: i64,
    member_id: Uuid,
    display_name: String,
    body: String,
    thread_seq: Option<i64>,
    also_in_channel: bool,
    reply_count: i32,
    edited_at: Option<OffsetDateTime>,
    deleted: bool,
    created_at: OffsetDateTime,
}

impl Exporter {
    /// Writes the export and stores it under `key`; returns its size.
    pub(super) async fn build(&self, ws: Uuid, id: Uuid, include_private: bool, key: &str) -> AppResult<i64> {
        let path = self.files.tmp_dir().join(format!("export-{id}.zip"));
        let file = std::fs::File::create(&path).map_err(io_err)?;
        let mut zip = Zip(Some(ZipWriter::new(file)));
        let written = self.write_all(&mut zip, ws, id, include_private).await;
        let finished = match written {
            Ok(()) => zip.finish().await,
            Err(e) => Err(e),
        };
        if let Err(e) = finished {
            let _ = tokio::fs::remove_file(&path).await;
            return Err(e);
        }
        let size = tokio::fs::metadata(&path).await.map_err(io_err)?.len() as i64;
        self.files.storage.ingest(&path, key).await?;
        Ok(size)
    }

    async fn write_all(&self, zip: &mut Zip, ws: Uuid, id: Uuid, include_private: bool) -> AppResult<()> {
        zip.json("users.json".into(), &self.users(ws).await?).await?;
        let convs: Vec<ConvRow> = sqlx::query_as(
            "select c.channel_id, c.kind, c.name, c.created_at, c.created_by, c.archived_at is not null as archived,
                    c.is_general, c.topic, c.purpose,
                    array(select cm.member_id from channel_member cm where cm.channel_id = c.channel_id
                           order by cm.joined_at, cm.member_id) as members
               from channel c
              where c.workspace_id = $1 and (c.kind = 'public' or $2)
              order by c.created_at, c.channel_id",
        )
        .bind(ws)
        .bind(include_private)
        .fetch_all(&*self.ctx)
        .await?;
        sqlx::query("update export set conversations_total = $2 where export_id = $1")
            .bind(id)
            .bind(convs.len() as i32)
            .execute(&*self.ctx)
            .await?;
        let (mut lists, mut dms): (HashMap<&str, Vec<Conversation>>, Vec<Dm>) = Default::default();
        for c in &convs {
            let created = slack::unix(c.created_at);
            if c.kind == "dm" {
                dms.push(Dm { id: c.channel_id, created, members: c.members.clone() });
                continue;
            }
            let file = match c.kind.as_str() {
                "public" => "channels.json",
                "private" => "groups.json",
                _ => "mpims.json",
            };
            lists.entry(file).or_default().push(Conversation {
                id: c.channel_id,
                name: folder(c),
                created,
                creator: c.created_by,
                is_archived: c.archived,
                is_general: c.is_general,
                members: c.members.clone(),
                topic: Text::new(c.topic.clone()),
                purpose: Text::new(c.purpose.clone()),
            });
        }
        for file in ["channels.json", "groups.json", "mpims.json"] {
            zip.json(file.into(), &lists.remove(file).unwrap_or_default()).await?;
        }
        zip.json("dms.json".into(), &dms).await?;
        for c in &convs {
            let (messages, files) = self.conversation(zip, c.channel_id, &folder(c)).await?;
            sqlx::query(
                "update export set conversations_done = conversations_done + 1, messages = messages + $2,
                        files = files + $3, heartbeat_at = now()
                  where export_id = $1",
            )
            .bind(id)
            .bind(messages)
            .bind(files)
            .execute(&*self.ctx)
            .await?;
        }
        Ok(())
    }

    async fn users(&self, ws: Uuid) -> AppResult<Vec<User>> {
        #[allow(clippy::type_complexity)]
        let rows: Vec<(Uuid, String, String, String, String, String, bool, String, String, String)> =
            sqlx::query_as(
                "select m.member_id, m.display_name, m.full_name, m.title, m.time_zone, m.role,
                        m.deactivated_at is not null, a.email, m.status_text, m.status_emoji
                   from member m join account a using (account_id)
                  where m.workspace_id = $1 order by m.created_at, m.member_id",
            )
            .bind(ws)
            .fetch_all(&*self.ctx)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, display, full, title, tz, role, deleted, email, status_text, status_emoji)| User {
                id,
                team_id: ws,
                name: display.clone(),
                real_name: if full.is_empty() { display.clone() } else { full.clone() },
                deleted,
                is_admin: role == "owner" || role == "admin",
                is_owner: role == "owner",
                is_restricted: role == "guest",
                is_bot: false,
                tz,
                profile: slack::Profile {
                    display_name: display,
                    real_name: full,
                    title,
                    email,
                    status_text,
                    status_emoji,
                },
            })
            .collect())
    }

    /// Writes one conversation's day files and file bytes; returns how
    /// many messages and files it wrote.
    async fn conversation(&self, zip: &mut Zip, channel: Uuid, folder: &str) -> AppResult<(i64, i64)> {
        let mut stamps = Stamps::default();
        let mut root_ts: HashMap<i64, String> = HashMap::new();
        let (mut day, mut buffered): (String, Vec<slack::Message>) = (String::new(), Vec::new());
        let (mut n_messages, mut n_files, mut after) = (0i64, 0i64, 0i64);
        loop {
            // Deleted messages are left out, except roots whose replies remain.
            let page: Vec<MsgRow> = sqlx::query_as(
                "select m.seq, m.member_id, mem.display_name, m.body, m.thread_seq, m.also_in_channel,
                        m.reply_count, m.edited_at, m.deleted_at is not null as deleted, m.created_at
                   from message m join member mem using (member_id)
                  where m.channel_id = $1 and m.seq > $2 and (m.deleted_at is null or m.reply_count > 0)
                  order by m.seq limit $3",
            )
            .bind(channel)
            .bind(after)
            .bind(PAGE)
            .fetch_all(&*self.ctx)
            .await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            let seqs: Vec<i64> = page.iter().map(|m| m.seq).collect();
            let mut reactions = self.reactions(channel, &seqs).await?;
            let mut files = self.files_of(zip, channel, &seqs).await?;
            for m in page {
                let ts = stamps.next(m.created_at);
                if m.thread_seq.is_none() {
                    root_ts.insert(m.seq, ts.clone());
                }
                let d = slack::day(m.created_at);
                if d > day && !buffered.is_empty() {
                    zip.json(format!("{folder}/{day}.json"), &std::mem::take(&mut buffered)).await?;
                }
                if d > day || day.is_empty() {
                    day = d;
                }
                let f = files.remove(&m.seq).unwrap_or_default();
                n_files += f.len() as i64;
                n_messages += 1;
                buffered.push(slack::Message {
                    kind: "message",
                    user: m.member_id,
                    user_name: m.display_name,
                    text: if m.deleted { "This message was deleted.".into() } else { m.body },
                    thread_ts: match m.thread_seq {
                        Some(root) => root_ts.get(&root).cloned(),
                        None => (m.reply_count > 0).then(|| ts.clone()),
                    },
                    ts,
                    reply_count: (m.thread_seq.is_none() && m.reply_count > 0).then_some(m.reply_count),
                    subtype: if m.deleted {
                        Some("tombstone")
                    } else {
                        (m.thread_seq.is_some() && m.also_in_channel).then_some("thread_broadcast")
                    },
                    edited: m.edited_at.map(|at| slack::Edited { user: m.member_id, ts: slack::ts(at) }),
                    reactions: reactions.remove(&m.seq).unwrap_or_default(),
                    files: f,
                });
            }
        }
        if !buffered.is_empty() {
            zip.json(format!("{folder}/{day}.json"), &buffered).await?;
        }
        Ok((n_messages, n_files))
    }

    async fn reactions(&self, channel: Uuid, seqs: &[i64]) -> AppResult<HashMap<i64, Vec<slack::Reaction>>> {
        let rows: Vec<(i64, String, Vec<Uuid>)> = sqlx::query_as(
            "select seq, emoji, array_agg(member_id order by created_at) from reaction
              where channel_id = $1 and seq = any($2) group by seq, emoji order by seq, min(created_at)",
        )
        .bind(channel)
        .bind(seqs)
        .fetch_all(&*self.ctx)
        .await?;
        let mut out: HashMap<i64, Vec<slack::Reaction>> = HashMap::new();
        for (seq, emoji, users) in rows {
            let r = slack::Reaction { name: slack::reaction_name(&emoji), count: users.len(), users };
            out.entry(seq).or_default().push(r);
        }
        Ok(out)
    }

    /// The files of a page of messages, their bytes copied into the zip.
    async fn files_of(
        &self,
        zip: &mut Zip,
        channel: Uuid,
        seqs: &[i64],
    ) -> AppResult<HashMap<i64, Vec<slack::File>>> {
        let rows: Vec<(Uuid, i64, String, String, i64, String)> = sqlx::query_as(
            "select f.file_id, f.seq, f.name, b.mimetype, b.size, b.storage_key
               from file f join blob b using (blob_id)
              where f.channel_id = $1 and f.seq = any($2) order by f.seq, f.position",
        )
        .bind(channel)
        .bind(seqs)
        .fetch_all(&*self.ctx)
        .await?;
        let mut out: HashMap<i64, Vec<slack::File>> = HashMap::new();
        for (id, seq, name, mimetype, size, key) in rows {
            let path = slack::file_path(id, &name);
            match self.files.storage.read_all(&key).await {
                Ok(bytes) => zip.add(path.clone(), bytes.to_vec(), false).await?,
                // A missing object is noted in the log, not fatal: the
                // message still lists the file.
                Err(e) => tracing::warn!(error = ?e, %id, "export: a file's content is missing"),
            }
            out.entry(seq).or_default().push(slack::File {
                id,
                title: name.clone(),
                name,
                mimetype,
                size,
                url_private: path,
            });
        }
        Ok(out)
    }
}

/// A conversation's folder (and `name`): channels by name, group DMs by a
/// name built from their id, 1:1 DMs by id (as Slack does).
fn folder(c: &ConvRow) -> String {
    match (&c.name, c.kind.as_str()) {
        (Some(n), _) => n.clone(),
        (None, "group_dm") => format!("mpdm-{}", c.channel_id),
        (None, _) => c.channel_id.to_string(),
    }
}
