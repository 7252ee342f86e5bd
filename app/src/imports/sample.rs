//! Generated Slack exports, for the tests, the benchmark
//! (`threadspace sample-slack-export`) and trying the importer out: people
//! (admins, a guest, a deleted one), public and private channels, DMs and
//! group DMs, and skewed history (a few busy conversations, many quiet
//! ones) with threads, broadcast replies, reactions, edits, mentions,
//! links, markup, bot messages, files in the zip and files that are not.
//! `messy` adds what real exports have: a person missing from
//! `users.json`, a broken day file, an unknown subtype, a tombstone, joins,
//! and a custom emoji.

use std::io::Write;
use std::path::Path;

use serde_json::{json, Value};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    pub people: usize,
    pub conversations: usize,
    pub messages: usize,
    /// Days of history the messages spread over.
    pub days: usize,
    pub messy: bool,
}

impl Default for Spec {
    fn default() -> Spec {
        Spec { people: 40, conversations: 8, messages: 600, days: 5, messy: true }
    }
}

/// A small deterministic generator (no seed to pass around).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const WORDS: &[&str] = &[
    "deploy",
    "review",
    "the",
    "release",
    "meeting",
    "customer",
    "we",
    "should",
    "ship",
    "today",
    "and",
    "check",
    "dashboard",
    "latency",
    "numbers",
    "after",
    "lunch",
    "please",
    "update",
    "ticket",
    "roadmap",
    "design",
    "budget",
    "invoice",
    "launch",
    "plan",
    "for",
    "next",
    "sprint",
    "is",
    "ready",
    "thanks",
    "everyone",
    "great",
    "work",
    "on",
    "migration",
    "database",
    "backup",
    "tests",
    "green",
    "again",
];

fn user_id(i: usize) -> String {
    format!("U{:05}", i + 1)
}

fn ts(micros: i64) -> String {
    format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
}

fn day_of(micros: i64) -> String {
    let d = time::OffsetDateTime::from_unix_timestamp(micros / 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Writes an export to `path`; returns the number of messages written.
pub fn write(path: &Path, spec: &Spec) -> std::io::Result<usize> {
    let mut rng = Lcg(42);
    let f = std::fs::File::create(path)?;
    let mut zip = ZipWriter::new(std::io::BufWriter::new(f));
    let opts = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(1));
    let people = spec.people.max(4);
    let users: Vec<Value> = (0..people)
        .map(|i| {
            json!({
                "id": user_id(i), "name": format!("person{}", i + 1), "real_name": format!("Person Number {}", i + 1),
                "deleted": i == 2, "is_admin": i == 0, "is_owner": i == 0, "is_restricted": i == 1,
                "is_bot": false, "tz": "Europe/Berlin",
                "profile": {"display_name": format!("Person {}", i + 1), "real_name": format!("Person Number {}", i + 1),
                            "title": if i % 5 == 0 { "Engineer" } else { "" },
                            "email": format!("person{}@sample.test", i + 1)}
            })
        })
        .collect();
    zip.start_file("users.json", opts)?;
    zip.write_all(serde_json::to_vec_pretty(&users)?.as_slice())?;
    // Conversations: #general, then mostly public channels, some private,
    // some DMs and group DMs.
    let n = spec.conversations.max(4);
    let (mut channels, mut groups, mut dms, mut mpims) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut convs: Vec<(String, Vec<String>)> = Vec::new();
    for c in 0..n {
        let kind = if c == 0 { 0 } else { [0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 3][c % 12] };
        let size = match kind {
            2 => 2,
            3 => 3 + rng.below(3),
            _ if c == 0 => people,
            _ => (3 + rng.below(30)).min(people),
        };
        let mut members: Vec<String> = if c == 0 {
            (0..people).filter(|i| *i != 1).map(user_id).collect()
        } else {
            let start = rng.below(people);
            (0..size).map(|k| user_id((start + k * 7) % people)).collect()
        };
        members.sort();
        members.dedup();
        let id = format!("C{:06}", c + 1);
        let name = if c == 0 { "general".to_string() } else { format!("topic-{c}") };
        let topic = json!({"value": format!("About {name}"), "creator": user_id(0), "last_set": 0});
        let entry = json!({"id": id, "name": name, "created": 1_704_067_200 + c as i64, "creator": user_id(0),
                           "is_archived": c % 23 == 5, "is_general": c == 0, "members": members,
                           "topic": topic, "purpose": {"value": "", "creator": "", "last_set": 0}});
        let folder = match kind {
            0 => {
                channels.push(entry);
                name
            }
            1 => {
                let mut e = entry;
                e["name"] = json!(format!("secret-{c}"));
                groups.push(e);
                format!("secret-{c}")
            }
            2 => {
                let id = format!("D{:06}", c + 1);
                dms.push(json!({"id": id, "created": 1_704_067_200, "members": members}));
                id
            }
            _ => {
                let mut e = entry;
                e["name"] = json!(format!("mpdm-{c}"));
                mpims.push(e);
                format!("mpdm-{c}")
            }
        };
        convs.push((folder, members));
    }
    for (file, list) in
        [("channels.json", &channels), ("groups.json", &groups), ("dms.json", &dms), ("mpims.json", &mpims)]
    {
        zip.start_file(file, opts)?;
        zip.write_all(serde_json::to_vec_pretty(list)?.as_slice())?;
    }
    zip.start_file("integration_logs.json", opts)?;
    zip.write_all(b"[]")?;
    // Skewed history: conversation i gets a share of 1/(i+1).
    let weights: Vec<f64> = (0..n).map(|i| 1.0 / (i as f64 + 1.0)).collect();
    let sum: f64 = weights.iter().sum();
    let mut counts: Vec<usize> = weights.iter().map(|w| (w / sum * spec.messages as f64) as usize).collect();
    let short = spec.messages - counts.iter().sum::<usize>();
    counts[0] += short;
    let base: i64 = 1_704_067_200_000_000;
    let span = spec.days.max(1) as i64 * 86_400_000_000;
    let mut written = 0;
    let mut file_no = 0;
    for (c, ((folder, members), count)) in convs.iter().zip(&counts).enumerate() {
        let step = (span / (*count as i64 + 1)).max(1);
        let mut days: std::collections::BTreeMap<String, Vec<Value>> = Default::default();
        let mut root: Option<(String, usize)> = None;
        for j in 0..*count {
            let micros = base + step * (j as i64 + 1) + c as i64;
            let who = &members[rng.below(members.len())];
            let words: Vec<&str> = (0..5 + rng.below(20)).map(|_| WORDS[rng.below(WORDS.len())]).collect();
            let mut text = words.join(" ");
            let mut m = json!({"type": "message", "user": who, "ts": ts(micros)});
            if j % 29 == 3 {
                text = format!("<@{}> {text}", members[rng.below(members.len())]);
            }
            if j % 31 == 4 {
                text.push_str(" see <https://example.com/docs?a=1&amp;b=2|the docs>");
            }
            if j % 37 == 5 {
                text = format!("*important:* {text} _really_");
            }
            // Threads: every 10th message starts one; the next three reply.
            let replying = root.as_ref().is_some_and(|(_, left)| *left > 0);
            if replying {
                if let Some((t, left)) = root.as_mut() {
                    m["thread_ts"] = json!(t.clone());
                    if j % 50 == 7 {
                        m["subtype"] = json!("thread_broadcast");
                    }
                    *left -= 1;
                }
            } else if j % 10 == 0 {
                m["thread_ts"] = json!(ts(micros));
                m["reply_count"] = json!(3);
                root = Some((ts(micros), 3.min(*count - j - 1)));
            } else {
                root = None;
            }
            if j % 7 == 2 {
                let a = &members[rng.below(members.len())];
                m["reactions"] = json!([{"name": "+1", "users": [who, a], "count": 2}]);
            }
            if j % 13 == 6 {
                m["edited"] = json!({"user": who, "ts": ts(micros + 1_000_000)});
            }
            if j % 101 == 8 && m.get("thread_ts").is_none() {
                m = json!({"type": "message", "subtype": "bot_message", "bot_id": "B0001", "username": "deploybot",
                           "ts": ts(micros), "text": "Deploy finished",
                           "attachments": [{"title": "build 42", "text": "all *green*", "fallback": "build 42"}]});
                text = "Deploy finished".into();
            }
            if j % 2003 == 9 {
                file_no += 1;
                let id = format!("F{file_no:06}");
                let name = format!("notes-{file_no}.txt");
                let path = crate::exports::slack::file_path_str(&id, &name);
                zip.start_file(&path, opts)?;
                zip.write_all(format!("notes number {file_no}\n").as_bytes())?;
                m["files"] = json!([{"id": id, "name": name, "size": 20, "url_private": path}]);
            } else if j % 409 == 10 {
                m["files"] = json!([{"id": "FGONE", "name": "slides.pdf", "size": 123_456,
                                     "url_private": "https://files.slack.com/files-pri/T1-FGONE/slides.pdf"}]);
            }
            m["text"] = json!(text);
            days.entry(day_of(micros)).or_default().push(m);
            written += 1;
        }
        if spec.messy && c < 3 {
            let first = days.keys().next().cloned().unwrap_or_else(|| day_of(base));
            let list = days.entry(first).or_default();
            let who = &members[0];
            list.push(
                json!({"type": "message", "subtype": "channel_join", "user": who, "ts": ts(base + c as i64),
                             "text": format!("<@{who}> has joined the channel")}),
            );
            list.push(json!({"type": "message", "subtype": "weird_subtype", "user": "U99999", "ts": ts(base + 10 + c as i64),
                             "text": "from someone not in users.json",
                             "reactions": [{"name": "partyparrot", "users": [who], "count": 1}]}));
            list.push(json!({"type": "message", "subtype": "tombstone", "user": "USLACKBOT", "ts": ts(base + 20 + c as i64),
                             "text": "This message was deleted.", "thread_ts": ts(base + 20 + c as i64)}));
            list.push(json!({"type": "message", "user": who, "ts": ts(base + 21 + c as i64),
                             "thread_ts": ts(base + 20 + c as i64), "text": "a reply under a deleted message"}));
            written += 4;
        }
        for (day, list) in days {
            zip.start_file(format!("{folder}/{day}.json"), opts)?;
            zip.write_all(serde_json::to_vec_pretty(&list)?.as_slice())?;
        }
        if spec.messy && c == 1 {
            zip.start_file(format!("{folder}/2023-12-31.json"), opts)?;
            zip.write_all(b"[\n  {\"type\": \"message\", \"ts\": \"1.0\",\n  oops\n]")?;
        }
    }
    zip.finish()?.flush()?;
    Ok(written)
}
