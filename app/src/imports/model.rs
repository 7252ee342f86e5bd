//! The export as ThreadSpace will store it: its conversations, the rows a
//! conversation's messages become (`convert` makes them), and the problems
//! met while reading.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use time::OffsetDateTime;

use super::read::{self, Zip};
use super::{Counts, Problem, MAX_PROBLEMS};

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

    pub(super) fn extend(&mut self, ps: Vec<Problem>) {
        for p in ps {
            self.push(p);
        }
    }

    /// A problem that may recur thousands of times: reported once, counted.
    pub(super) fn repeat(&mut self, what: String, file: &str, line: Option<u64>) {
        self.repeated.entry(what).or_insert_with(|| (file.to_string(), line, 0)).2 += 1;
    }

    /// Turns the counted problems into report lines.
    pub fn finish(&mut self) {
        for (what, (file, line, n)) in std::mem::take(&mut self.repeated) {
            let msg = if n == 1 { what } else { format!("{what} ({n} times; the first here)") };
            self.push(Problem::new(&file, line, msg));
        }
    }

    pub(super) fn person(&mut self, id: &str) -> String {
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
