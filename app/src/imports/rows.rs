//! One batch of an import as column arrays, inserted with `unnest`: the
//! messages, their reactions and files, the batch's new search words and
//! its Meilisearch outbox rows, all in the batch's transaction.

use std::collections::{HashMap, HashSet};

use time::OffsetDateTime;
use uuid::Uuid;

use super::model::{at, Messages, Msg};
use crate::core::tx::Tx;
use crate::error::AppResult;

/// The words search can correct to (`search_term`), as the database's own
/// `search_terms_of` picks them: lower case, 4 to 32 letters or digits, not
/// only digits, at most 100 per message.
pub fn collect_terms(body: &str, out: &mut HashSet<String>) {
    let lower: String = body.chars().take(4000).collect::<String>().to_lowercase();
    let mut n = 0;
    for w in lower.split(|c: char| !c.is_alphanumeric()) {
        let len = w.chars().count();
        if (4..=32).contains(&len) && !w.chars().all(|c| c.is_ascii_digit()) {
            out.insert(w.to_string());
            n += 1;
            if n == 100 {
                break;
            }
        }
    }
}

/// A batch as column arrays for `unnest`.
#[derive(Default)]
pub struct Rows {
    seq: Vec<i64>,
    member: Vec<Uuid>,
    thread_seq: Vec<Option<i64>>,
    also: Vec<bool>,
    key: Vec<String>,
    body: Vec<String>,
    html: Vec<String>,
    mentions: Vec<String>,
    mentions_all: Vec<bool>,
    reply_count: Vec<i32>,
    last_reply_at: Vec<Option<OffsetDateTime>>,
    edited_at: Vec<Option<OffsetDateTime>>,
    deleted_at: Vec<Option<OffsetDateTime>>,
    created_at: Vec<OffsetDateTime>,
    file_count: Vec<i16>,
    // Reactions.
    r_seq: Vec<i64>,
    r_member: Vec<Uuid>,
    r_emoji: Vec<String>,
    r_at: Vec<OffsetDateTime>,
    // Files.
    f_seq: Vec<i64>,
    f_member: Vec<Uuid>,
    f_blob: Vec<Uuid>,
    f_pos: Vec<i16>,
    f_name: Vec<String>,
    f_at: Vec<OffsetDateTime>,
    terms: HashSet<String>,
}

impl Rows {
    pub fn build(
        people_of: &HashMap<String, Uuid>,
        names: &HashMap<Uuid, String>,
        msgs: &Messages,
        batch: &[Msg],
        files: &[Vec<(Uuid, String)>],
        first_seq: i64,
        seqs: &mut HashMap<String, i64>,
    ) -> Rows {
        let mut r = Rows::default();
        let unknown = people_of.get("bot:unknown").copied().unwrap_or_default();
        for (i, (m, fs)) in batch.iter().zip(files).enumerate() {
            let seq = first_seq + i as i64;
            let author = people_of.get(&m.author).copied().unwrap_or(unknown);
            let created = at(m.micros);
            let thread = msgs.threads.get(&m.ts);
            if thread.is_some() {
                seqs.insert(m.ts.clone(), seq);
            }
            let people: Vec<(Uuid, String)> = m
                .mentioned
                .iter()
                .filter_map(|id| people_of.get(id))
                .filter_map(|id| names.get(id).map(|n| (*id, n.clone())))
                .collect();
            let rendered = crate::messages::markdown::render(&m.text, &people);
            if !m.deleted {
                collect_terms(&m.text, &mut r.terms);
            }
            r.seq.push(seq);
            r.member.push(author);
            r.thread_seq.push(m.thread_ts.as_ref().and_then(|t| seqs.get(t)).copied());
            r.also.push(m.broadcast);
            r.key.push(m.key());
            r.html.push(if m.deleted { String::new() } else { rendered.html });
            r.body.push(m.text.clone());
            r.mentions.push(rendered.mentions.iter().map(Uuid::to_string).collect::<Vec<_>>().join(","));
            r.mentions_all.push(rendered.mentions_all);
            r.reply_count.push(thread.map_or(0, |t| t.0));
            r.last_reply_at.push(thread.map(|t| at(t.1)));
            r.edited_at.push(m.edited.map(at));
            r.deleted_at.push(m.deleted.then_some(created));
            r.created_at.push(created);
            r.file_count.push(fs.len() as i16);
            for (emoji, who) in &m.reactions {
                let mut ids: Vec<Uuid> = who.iter().filter_map(|p| people_of.get(p)).copied().collect();
                ids.sort();
                ids.dedup();
                for id in ids {
                    r.r_seq.push(seq);
                    r.r_member.push(id);
                    r.r_emoji.push(emoji.clone());
                    r.r_at.push(created);
                }
            }
            for (pos, (blob, name)) in fs.iter().enumerate() {
                r.f_seq.push(seq);
                r.f_member.push(author);
                r.f_blob.push(*blob);
                r.f_pos.push(pos as i16);
                r.f_name.push(name.clone());
                r.f_at.push(created);
            }
        }
        r
    }

    pub async fn insert(self, tx: &mut Tx, workspace: Uuid, channel: Uuid) -> AppResult<()> {
        sqlx::query(
            "insert into message (channel_id, workspace_id, seq, member_id, thread_seq, also_in_channel, client_msg_id,
                                  body, html, mentions, mentions_all, reply_count, last_reply_at, edited_at,
                                  deleted_at, created_at, file_count)
             select $1, $2, u.seq, u.member, u.thread_seq, u.also, u.key, u.body, u.html,
                    case when u.mentions = '' then '{}'::uuid[] else string_to_array(u.mentions, ',')::uuid[] end,
                    u.mall, u.rc, u.lra, u.edited, u.deleted, u.created, u.fc
               from unnest($3::bigint[], $4::uuid[], $5::bigint[], $6::bool[], $7::text[], $8::text[], $9::text[],
                           $10::text[], $11::bool[], $12::int[], $13::timestamptz[], $14::timestamptz[],
                           $15::timestamptz[], $16::timestamptz[], $17::int2[])
                    as u(seq, member, thread_seq, also, key, body, html, mentions, mall, rc, lra, edited, deleted,
                         created, fc)",
        )
        .bind(channel)
        .bind(workspace)
        .bind(&self.seq)
        .bind(&self.member)
        .bind(&self.thread_seq)
        .bind(&self.also)
        .bind(&self.key)
        .bind(&self.body)
        .bind(&self.html)
        .bind(&self.mentions)
        .bind(&self.mentions_all)
        .bind(&self.reply_count)
        .bind(&self.last_reply_at)
        .bind(&self.edited_at)
        .bind(&self.deleted_at)
        .bind(&self.created_at)
        .bind(&self.file_count)
        .execute(&mut **tx)
        .await?;
        if !self.r_seq.is_empty() {
            sqlx::query(
                "insert into reaction (channel_id, seq, member_id, emoji, created_at)
                 select $1, * from unnest($2::bigint[], $3::uuid[], $4::text[], $5::timestamptz[])
                 on conflict do nothing",
            )
            .bind(channel)
            .bind(&self.r_seq)
            .bind(&self.r_member)
            .bind(&self.r_emoji)
            .bind(&self.r_at)
            .execute(&mut **tx)
            .await?;
        }
        if !self.f_seq.is_empty() {
            let ids: Vec<Uuid> = self.f_seq.iter().map(|_| Uuid::now_v7()).collect();
            sqlx::query(
                "insert into file (file_id, workspace_id, blob_id, member_id, channel_id, seq, position, name, created_at)
                 select u.id, $1, u.blob, u.member, $2, u.seq, u.pos, u.name, u.at
                   from unnest($3::uuid[], $4::uuid[], $5::uuid[], $6::bigint[], $7::int2[], $8::text[],
                               $9::timestamptz[]) as u(id, blob, member, seq, pos, name, at)",
            )
            .bind(workspace)
            .bind(channel)
            .bind(&ids)
            .bind(&self.f_blob)
            .bind(&self.f_member)
            .bind(&self.f_seq)
            .bind(&self.f_pos)
            .bind(&self.f_name)
            .bind(&self.f_at)
            .execute(&mut **tx)
            .await?;
        }
        let terms: Vec<String> = self.terms.into_iter().collect();
        if !terms.is_empty() {
            sqlx::query(
                "insert into search_term (workspace_id, term) select $1, t from unnest($2::text[]) t
                 order by 2 on conflict do nothing",
            )
            .bind(workspace)
            .bind(&terms)
            .execute(&mut **tx)
            .await?;
        }
        sqlx::query(
            "insert into search_outbox (channel_id, seq) select $1, s from unnest($2::bigint[]) s
              where (select outbox_enabled from search_setting)",
        )
        .bind(channel)
        .bind(&self.seq)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}
