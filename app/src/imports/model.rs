//! The export as ThreadSpace will store it: its conversations, and each
//! one's messages converted (authors, text, threads, reactions, files,
//! system lines) and sorted by `ts`. The dry run counts exactly what the
//! import writes, because both read the export through this module.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use time::OffsetDateTime;

use super::mrkdwn::{self, Names};
use super::read::{self, Zip};
use super::{Counts, Problem, MAX_PROBLEMS};
use crate::files::MAX_FILE_BYTES;

/// The largest day file read.
const MAX_DAY_BYTES: u64 = 256 * 1024 * 1024;
/// Messages longer than this (ThreadSpace's limit) are cut.
const MAX_TEXT_CHARS: usize = 40_000;

/// A time from microseconds since the epoch (a `ts`).
pub fn at(micros: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(micros as i128 * 1000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// What kind of conversation, by the list it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Public,
    Private,
    Dm,
    GroupDm,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Public => "public",
            Kind::Private => "private",
            Kind::Dm => "dm",
            Kind::GroupDm => "group_dm",
        }
    }

    pub fn is_dm(self) -> bool {
        matches!(self, Kind::Dm | Kind::GroupDm)
    }
}

/// A conversation and the folder of its day files.
#[derive(Debug, Clone)]
pub struct Conv {
    pub kind: Kind,
    pub info: read::Conversation,
    /// The folder in the zip, if it has one.
    pub folder: Option<String>,
}

impl Conv {
    /// Its name in Slack (DMs have none).
    pub fn name(&self) -> String {
        self.info.name.clone().unwrap_or_else(|| self.info.id.clone())
    }
}

/// What the export is made of, and the problems met so far.
pub struct Source {
    pub zip: Zip,
    pub users: Vec<read::User>,
    pub convs: Vec<Conv>,
    pub sink: Sink,
}

/// Problems and what the messages referenced, gathered while reading.
#[derive(Default)]
pub struct Sink {
    pub problems: Vec<Problem>,
    pub problems_total: u64,
    /// Referenced Slack user ids that `users.json` does not list.
    pub missing: BTreeSet<String>,
    /// Bot keys and names.
    pub bots: BTreeMap<String, String>,
    /// Repeated problems, counted once each: what → (first file, its line, count).
    repeated: BTreeMap<String, (String, Option<u64>, u64)>,
    /// The ids `users.json` lists.
    listed: BTreeSet<String>,
}

impl Sink {
    pub fn push(&mut self, p: Problem) {
        self.problems_total += 1;
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(p);
        }
    }

    fn extend(&mut self, ps: Vec<Problem>) {
        for p in ps {
            self.push(p);
        }
    }

    /// A problem that may recur thousands of times: reported once, counted.
    fn repeat(&mut self, what: String, file: &str, line: Option<u64>) {
        self.repeated.entry(what).or_insert_with(|| (file.to_string(), line, 0)).2 += 1;
    }

    /// Turns the counted problems into report lines.
    pub fn finish(&mut self) {
        for (what, (file, line, n)) in std::mem::take(&mut self.repeated) {
            let msg = if n == 1 { what } else { format!("{what} ({n} times; the first here)") };
            self.push(Problem::new(&file, line, msg));
        }
    }

    fn person(&mut self, id: &str) -> String {
        if !self.listed.contains(id) {
            self.missing.insert(id.to_string());
        }
        id.to_string()
    }
}

impl Source {
    /// Opens the zip and reads its lists of people and conversations.
    pub fn open(path: &Path) -> Result<Source, String> {
        let mut zip = Zip::open(path)?;
        let mut sink = Sink::default();
        let mut ps = Vec::new();
        let users: Vec<read::User> = zip.list("users.json", &mut ps);
        if !zip.has("users.json") {
            ps.push(Problem::new("users.json", None, "missing: every author is imported by their id".into()));
        }
        let mut convs = Vec::new();
        let mut seen = BTreeSet::new();
        for (file, kind) in [
            ("channels.json", Kind::Public),
            ("groups.json", Kind::Private),
            ("dms.json", Kind::Dm),
            ("mpims.json", Kind::GroupDm),
        ] {
            for info in zip.list::<read::Conversation>(file, &mut ps) {
                if info.id.is_empty() || !seen.insert(info.id.clone()) {
                    ps.push(Problem::new(
                        file,
                        None,
                        format!("a conversation without an id or listed twice ({})", info.id),
                    ));
                    continue;
                }
                let by_name = info.name.clone().filter(|_| !kind.is_dm() || kind == Kind::GroupDm);
                let folder = by_name
                    .filter(|n| !zip.days(n).is_empty())
                    .or_else(|| (!zip.days(&info.id).is_empty()).then(|| info.id.clone()));
                convs.push(Conv { kind, info, folder });
            }
        }
        if convs.is_empty() {
            return Err(
                "the zip has no channels.json, groups.json, dms.json or mpims.json: is it a Slack export?"
                    .into(),
            );
        }
        sink.extend(ps);
        sink.listed = users.iter().map(|u| u.id.clone()).collect();
        Ok(Source { zip, users, convs, sink })
    }
}

/// A file of a message.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRef {
    pub name: String,
    /// Its entry in the zip, when the export has the bytes.
    pub entry: Option<String>,
}

/// One message as it will be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Msg {
    pub ts: String,
    pub micros: i64,
    /// The author's key: a Slack user id, or `bot:<id>` for a bot.
    pub author: String,
    /// ThreadSpace markdown.
    pub text: String,
    /// Slack user ids the text mentions.
    pub mentioned: Vec<String>,
    /// The root's `ts`, for a reply whose root is in the export.
    pub thread_ts: Option<String>,
    /// A reply also sent to the channel.
    pub broadcast: bool,
    pub edited: Option<i64>,
    /// A tombstone: deleted, kept because replies hang from it.
    pub deleted: bool,
    /// A join, leave, topic change…: shown as a small line.
    pub system: bool,
    /// (emoji, people's keys), people deduplicated.
    pub reactions: Vec<(String, Vec<String>)>,
    /// Files whose bytes are in the zip.
    pub files: Vec<FileRef>,
    /// Files named in the message but not in the zip (a placeholder line each).
    pub files_missing: u32,
}

impl Msg {
    /// The key that makes an imported message unique in its channel.
    pub fn key(&self) -> String {
        format!("slack{}{}", if self.system { "!" } else { ":" }, self.ts)
    }
}

/// A conversation's messages in `ts` order, with each root's reply count
/// and last reply.
#[derive(Debug, Default)]
pub struct Messages {
    pub list: Vec<Msg>,
    pub threads: HashMap<String, (i32, i64)>,
}

impl Messages {
    /// What these messages are in the report's terms.
    pub fn counts(&self) -> Counts {
        let mut c = Counts { conversations: 1, messages: self.list.len() as u64, ..Counts::default() };
        c.threads = self.threads.len() as u64;
        for m in &self.list {
            c.replies += m.thread_ts.is_some() as u64;
            c.reactions += m.reactions.iter().map(|(_, p)| p.len() as u64).sum::<u64>();
            c.files += m.files.len() as u64;
            c.files_missing += m.files_missing as u64;
            c.system += m.system as u64;
        }
        c
    }
}

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
