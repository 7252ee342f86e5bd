//! One conversation's day files to the rows it will store: each Slack
//! message's author (people, bots, the unlisted), text (mrkdwn and
//! attachments), thread, reactions, files and subtype; then the whole
//! conversation sorted by `ts`, duplicates and orphan replies resolved, and
//! each thread's reply count. The dry run and the import both call
//! [`messages`], so the report counts exactly what is stored.

use std::collections::HashMap;

use super::model::{Conv, FileRef, Messages, Msg, Source};
use super::mrkdwn::{self, Names};
use super::{read, Problem};
use crate::files::MAX_FILE_BYTES;

/// The largest day file read.
const MAX_DAY_BYTES: u64 = 256 * 1024 * 1024;
/// Messages longer than this (ThreadSpace's limit) are cut.
const MAX_TEXT_CHARS: usize = 40_000;

const SYSTEM: &[&str] = &[
    "channel_join",
    "channel_leave",
    "group_join",
    "group_leave",
    "channel_topic",
    "group_topic",
    "channel_purpose",
    "group_purpose",
    "channel_name",
    "group_name",
    "channel_archive",
    "group_archive",
    "channel_unarchive",
    "group_unarchive",
    "pinned_item",
    "unpinned_item",
    "bot_add",
    "bot_remove",
    "app_conversation_join",
    "channel_convert_to_private",
    "channel_convert_to_public",
    "reminder_add",
];

/// Ordinary messages, whatever their subtype says.
const ORDINARY: &[&str] = &[
    "thread_broadcast",
    "me_message",
    "bot_message",
    "file_share",
    "file_comment",
    "slackbot_response",
    "huddle_thread",
];

/// Edit and delete events some exports carry: not history.
const EVENTS: &[&str] = &["message_changed", "message_deleted", "message_replied"];

/// Reads and converts a conversation's messages.
pub fn messages(src: &mut Source, conv: &Conv, names: &dyn Names) -> Messages {
    let Some(folder) = conv.folder.clone() else { return Messages::default() };
    let mut list: Vec<Msg> = Vec::new();
    for day in src.zip.days(&folder) {
        let bytes = match src.zip.read(&day, MAX_DAY_BYTES) {
            Ok(b) => b,
            Err(e) => {
                src.sink.push(Problem::new(&day, None, format!("skipped: {e}")));
                continue;
            }
        };
        let mut ps = Vec::new();
        let raw: Vec<(u64, read::Message)> = read::elements_at(&day, &bytes, &mut ps);
        src.sink.extend(ps);
        for (line, m) in raw {
            if let Some(msg) = message(src, (&day, line), m, names) {
                list.push(msg);
            }
        }
    }
    list.sort_by(|a, b| (a.micros, &a.ts).cmp(&(b.micros, &b.ts)));
    let before = list.len();
    list.dedup_by(|b, a| a.ts == b.ts);
    for _ in list.len()..before {
        src.sink.repeat("a message listed twice (same ts) was imported once".into(), &folder, None);
    }
    // Replies whose root is not in the export stand alone.
    let roots: HashMap<&str, ()> = list.iter().map(|m| (m.ts.as_str(), ())).collect();
    let mut orphans = Vec::new();
    for (i, m) in list.iter().enumerate() {
        if let Some(t) = &m.thread_ts {
            if t == &m.ts || !roots.contains_key(t.as_str()) {
                orphans.push((i, t != &m.ts));
            }
        }
    }
    for (i, missing_root) in orphans {
        list[i].thread_ts = None;
        list[i].broadcast = false;
        if missing_root {
            src.sink.repeat(
                "a thread reply whose root is not in the export was imported as a message".into(),
                &folder,
                None,
            );
        }
    }
    let mut threads: HashMap<String, (i32, i64)> = HashMap::new();
    for m in &list {
        if let Some(t) = &m.thread_ts {
            let e = threads.entry(t.clone()).or_insert((0, 0));
            e.0 += 1;
            e.1 = e.1.max(m.micros);
        }
    }
    Messages { list, threads }
}

/// One Slack message as stored, or none for what is not history.
fn message(src: &mut Source, (file, line): (&str, u64), m: read::Message, names: &dyn Names) -> Option<Msg> {
    let Some((ts, micros)) = m.ts.as_deref().and_then(|t| Some((t.to_string(), read::ts_micros(t)?))) else {
        src.sink.repeat("a message without a valid ts was skipped".into(), file, Some(line));
        return None;
    };
    let subtype = m.subtype.as_deref().unwrap_or("");
    if EVENTS.contains(&subtype) {
        return None;
    }
    let system = SYSTEM.contains(&subtype);
    let deleted = subtype == "tombstone";
    if !subtype.is_empty() && !system && !deleted && !ORDINARY.contains(&subtype) {
        src.sink.repeat(
            format!("unknown subtype {subtype:?}: imported as an ordinary message"),
            file,
            Some(line),
        );
    }
    let author = author(src, &m, file, line);
    let mut raw = m.text.clone().unwrap_or_default();
    for a in &m.attachments {
        for part in [&a.pretext, &a.title, &a.text] {
            if let Some(p) = part.as_deref().filter(|p| !p.trim().is_empty()) {
                if !raw.is_empty() {
                    raw.push('\n');
                }
                raw.push_str(p);
            }
        }
        if a.text.is_none() && a.title.is_none() && a.pretext.is_none() {
            if let Some(f) = a.fallback.as_deref().filter(|p| !p.trim().is_empty()) {
                if !raw.is_empty() {
                    raw.push('\n');
                }
                raw.push_str(f);
            }
        }
    }
    let converted = mrkdwn::convert(&raw, names);
    let mut text = converted.text;
    let mentioned: Vec<String> = converted.mentioned.iter().map(|id| src.sink.person(id)).collect();
    if subtype == "me_message" && !text.is_empty() && !text.contains('\n') {
        text = format!("_{text}_");
    }
    let mut files = Vec::new();
    let mut files_missing = 0;
    for f in &m.files {
        match file_ref(src, f, (file, line)) {
            Ok(r) => files.push(r),
            Err(placeholder) => {
                files_missing += 1;
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&placeholder);
            }
        }
    }
    files.truncate(crate::files::MAX_FILES_PER_MESSAGE);
    if deleted {
        text.clear();
        files.clear();
        files_missing = 0;
    } else if text.trim().is_empty() && files.is_empty() {
        src.sink.repeat("an empty message was skipped".into(), file, Some(line));
        return None;
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        text = text.chars().take(MAX_TEXT_CHARS - 1).collect::<String>() + "…";
        src.sink.push(Problem::new(file, Some(line), format!("message {ts} was cut to 40,000 characters")));
    }
    let mut reactions: Vec<(String, Vec<String>)> = Vec::new();
    if !deleted {
        for r in &m.reactions {
            let name = r.name.split("::").next().unwrap_or_default();
            let Some(emoji) = crate::messages::markdown::canonical_emoji(name) else {
                src.sink.repeat(
                    format!("custom emoji :{name}: is not known here; its reactions were left out"),
                    file,
                    Some(line),
                );
                continue;
            };
            let mut people: Vec<String> = r.users.iter().map(|u| src.sink.person(u)).collect();
            people.sort();
            people.dedup();
            match reactions.iter_mut().find(|(e, _)| e == emoji.as_str()) {
                Some((_, p)) => {
                    p.extend(people);
                    p.sort();
                    p.dedup();
                }
                None => reactions.push((emoji.as_str().to_string(), people)),
            }
        }
    }
    let thread_ts = m.thread_ts.clone().filter(|t| t != &ts);
    Some(Msg {
        broadcast: subtype == "thread_broadcast" && thread_ts.is_some(),
        thread_ts,
        edited: m.edited.as_ref().and_then(|e| e.ts.as_deref()).and_then(read::ts_micros),
        ts,
        micros,
        author,
        text,
        mentioned,
        deleted,
        system,
        reactions,
        files,
        files_missing,
    })
}

/// The key of a message's author, noting bots and unlisted people.
fn author(src: &mut Source, m: &read::Message, file: &str, line: u64) -> String {
    let bot = m.subtype.as_deref() == Some("bot_message") || m.user.is_none();
    if bot {
        if let Some(id) = m.bot_id.clone().or_else(|| m.username.clone()) {
            let name = m
                .username
                .clone()
                .or_else(|| m.bot_profile.as_ref().and_then(|b| b.name.clone()))
                .unwrap_or_else(|| "Bot".into());
            let key = format!("bot:{id}");
            src.sink.bots.entry(key.clone()).or_insert(name);
            return key;
        }
    }
    match &m.user {
        Some(u) if !u.is_empty() => src.sink.person(u),
        _ => {
            src.sink.repeat("a message with no author was imported as “Unknown”".into(), file, Some(line));
            src.sink.bots.entry("bot:unknown".into()).or_insert_with(|| "Unknown".into());
            "bot:unknown".into()
        }
    }
}

/// A file in the zip, or the placeholder text for one that is not.
fn file_ref(src: &mut Source, f: &read::FileMeta, (file, line): (&str, u64)) -> Result<FileRef, String> {
    let name = f.name.clone().or_else(|| f.title.clone()).unwrap_or_else(|| "file".into());
    let name: String = crate::exports::slack::safe_name(&name).chars().take(255).collect();
    let shown = mrkdwn::unescape(&name).replace(['[', ']', '*', '_', '`', '\\'], " ");
    let link = f.url_private.as_deref().filter(|u| u.starts_with("https://") && !u.contains(['<', '>', ' ']));
    let size = f.size.map(|s| format!(" ({})", crate::admin::format_bytes(s))).unwrap_or_default();
    let placeholder = |why: &str| match link {
        Some(url) => format!("📎 {shown}{size}, {why}: [original link](<{url}>)"),
        None => format!("📎 {shown}{size}, {why}"),
    };
    match f.mode.as_deref() {
        Some("tombstone") => return Err(placeholder("deleted in Slack")),
        Some("hidden_by_limit") => return Err(placeholder("hidden by Slack's plan limits")),
        _ => {}
    }
    let candidates = [
        f.url_private.clone().filter(|u| !u.contains("://")),
        f.id.as_ref().map(|id| crate::exports::slack::file_path_str(id, &name)),
    ];
    for c in candidates.into_iter().flatten() {
        if src.zip.has(&c) {
            if src.zip.size(&c).unwrap_or(0) > MAX_FILE_BYTES {
                src.sink.repeat(format!("a file over 25 MB ({c}) was left as a link"), file, Some(line));
                return Err(placeholder("too large to import"));
            }
            return Ok(FileRef { name, entry: Some(c) });
        }
    }
    Err(placeholder("not in the export"))
}
