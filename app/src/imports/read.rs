//! Reading a Slack export zip: the JSON shapes Slack documents, read
//! leniently (a field of the wrong type loses that message, not the file;
//! a broken day file loses that file, with its line), and every problem
//! recorded with the file and line it came from.
//!
//! The zip is read from a local file with random access (the job copies it
//! out of the object store first): one entry at a time, each capped, so a
//! zip bomb or a huge entry cannot take the node's memory.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::Problem;

/// The largest JSON entry read (users.json of a very large team).
const MAX_JSON_BYTES: u64 = 512 * 1024 * 1024;
/// Entries in a zip beyond this are refused (a Slack export of ten years
/// of a 500-person company has far fewer).
const MAX_ENTRIES: usize = 2_000_000;

/// A person (`users.json`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct User {
    pub id: String,
    pub name: String,
    pub real_name: Option<String>,
    pub deleted: bool,
    pub is_admin: bool,
    pub is_owner: bool,
    pub is_restricted: bool,
    pub is_ultra_restricted: bool,
    pub is_bot: bool,
    pub tz: Option<String>,
    pub profile: Profile,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Profile {
    pub display_name: Option<String>,
    pub real_name: Option<String>,
    pub title: Option<String>,
    pub email: Option<String>,
    pub image_original: Option<String>,
    pub image_512: Option<String>,
}

/// A channel, private channel, DM or group DM.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Conversation {
    pub id: String,
    pub name: Option<String>,
    pub created: Option<i64>,
    pub is_archived: bool,
    pub is_general: bool,
    pub members: Vec<String>,
    pub topic: Option<Text>,
    pub purpose: Option<Text>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Text {
    pub value: String,
}

/// One message of a day file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Message {
    pub subtype: Option<String>,
    pub ts: Option<String>,
    pub user: Option<String>,
    pub bot_id: Option<String>,
    pub username: Option<String>,
    pub bot_profile: Option<BotProfile>,
    pub text: Option<String>,
    pub thread_ts: Option<String>,
    pub reactions: Vec<Reaction>,
    pub edited: Option<Edited>,
    pub files: Vec<FileMeta>,
    pub attachments: Vec<Attachment>,
    pub hidden: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BotProfile {
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Reaction {
    pub name: String,
    pub users: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Edited {
    pub ts: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FileMeta {
    pub id: Option<String>,
    pub name: Option<String>,
    pub title: Option<String>,
    pub size: Option<i64>,
    pub url_private: Option<String>,
    /// `tombstone` for a deleted file, `hidden_by_limit` on free plans.
    pub mode: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Attachment {
    pub pretext: Option<String>,
    pub title: Option<String>,
    pub title_link: Option<String>,
    pub text: Option<String>,
    pub fallback: Option<String>,
}

/// An open export.
pub struct Zip {
    zip: zip::ZipArchive<File>,
    /// Entry names to their index and uncompressed size.
    names: HashMap<String, (usize, u64)>,
    /// Each folder's day files, sorted.
    days: HashMap<String, Vec<String>>,
}

impl Zip {
    pub fn open(path: &Path) -> Result<Zip, String> {
        let f = File::open(path).map_err(|e| format!("cannot open the upload: {e}"))?;
        let mut zip = zip::ZipArchive::new(f).map_err(|e| format!("not a zip file: {e}"))?;
        if zip.len() > MAX_ENTRIES {
            return Err(format!("the zip has {} entries; at most {MAX_ENTRIES} are read", zip.len()));
        }
        let mut names = HashMap::with_capacity(zip.len());
        let mut days: HashMap<String, Vec<String>> = HashMap::new();
        for i in 0..zip.len() {
            let e = zip.by_index_raw(i).map_err(|e| format!("a broken zip entry: {e}"))?;
            let name = e.name().to_string();
            if let Some((folder, day)) = name.split_once('/') {
                if day.strip_suffix(".json").is_some_and(is_day) {
                    days.entry(folder.to_string()).or_default().push(name.clone());
                }
            }
            names.insert(name, (i, e.size()));
        }
        for d in days.values_mut() {
            d.sort();
        }
        Ok(Zip { zip, names, days })
    }

    /// An entry's uncompressed size.
    pub fn size(&self, name: &str) -> Option<u64> {
        self.names.get(name).map(|e| e.1)
    }

    /// Whether an entry exists.
    pub fn has(&self, name: &str) -> bool {
        self.names.contains_key(name)
    }

    /// The day files (`<folder>/YYYY-MM-DD.json`) of a conversation, sorted.
    pub fn days(&self, folder: &str) -> Vec<String> {
        self.days.get(folder).cloned().unwrap_or_default()
    }

    /// An entry's bytes, at most `max` (a bigger one is an error).
    pub fn read(&mut self, name: &str, max: u64) -> Result<Vec<u8>, String> {
        let (i, _) = *self.names.get(name).ok_or_else(|| "not in the zip".to_string())?;
        let f = self.zip.by_index(i).map_err(|e| e.to_string())?;
        if f.size() > max {
            return Err(format!("{} bytes, over the {max}-byte limit", f.size()));
        }
        let mut buf = Vec::with_capacity(f.size() as usize);
        f.take(max + 1).read_to_end(&mut buf).map_err(|e| e.to_string())?;
        if buf.len() as u64 > max {
            return Err(format!("over the {max}-byte limit"));
        }
        Ok(buf)
    }

    /// A top-level list (`users.json`, `channels.json`…): missing is
    /// empty (exports leave out what they do not have); broken is a problem.
    pub fn list<T: for<'de> Deserialize<'de>>(&mut self, name: &str, problems: &mut Vec<Problem>) -> Vec<T> {
        if !self.has(name) {
            return Vec::new();
        }
        let bytes = match self.read(name, MAX_JSON_BYTES) {
            Ok(b) => b,
            Err(e) => {
                problems.push(Problem::new(name, None, e));
                return Vec::new();
            }
        };
        elements(name, &bytes, problems)
    }
}

fn is_day(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// The elements of a JSON array, each read on its own: a broken element is
/// a problem at its line, the others are kept. Text that is not UTF-8 is
/// read with the bad bytes replaced (one problem for the file).
pub fn elements<T: for<'de> Deserialize<'de>>(
    file: &str,
    bytes: &[u8],
    problems: &mut Vec<Problem>,
) -> Vec<T> {
    elements_at(file, bytes, problems).into_iter().map(|(_, v)| v).collect()
}

/// [`elements`] with the line each element starts on.
pub fn elements_at<T: for<'de> Deserialize<'de>>(
    file: &str,
    bytes: &[u8],
    problems: &mut Vec<Problem>,
) -> Vec<(u64, T)> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(e) => {
            let line = line_of(bytes, e.valid_up_to());
            problems.push(Problem::new(file, Some(line), "not UTF-8: the bad bytes were replaced".into()));
            String::from_utf8_lossy(bytes)
        }
    };
    let raw: Vec<&RawValue> = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            let msg = format!("not a JSON array, the file was skipped: {e}");
            problems.push(Problem::new(file, Some(e.line() as u64), msg));
            return Vec::new();
        }
    };
    let base = text.as_ptr() as usize;
    let mut out = Vec::with_capacity(raw.len());
    // Lines counted as the elements go by (they come in order).
    let (mut seen, mut line) = (0usize, 1u64);
    for r in raw {
        let at = r.get().as_ptr() as usize - base;
        line += text.as_bytes()[seen..at].iter().filter(|b| **b == b'\n').count() as u64;
        seen = at;
        match serde_json::from_str::<T>(r.get()) {
            Ok(v) => out.push((line, v)),
            Err(e) => {
                let at_line = line + e.line() as u64 - 1;
                problems.push(Problem::new(file, Some(at_line), format!("skipped an entry: {e}")));
            }
        }
    }
    out
}

/// The 1-based line of byte `at`.
fn line_of(bytes: &[u8], at: usize) -> u64 {
    1 + bytes[..at.min(bytes.len())].iter().filter(|b| **b == b'\n').count() as u64
}

/// A `ts` (`1709632800.123456`) as microseconds since the epoch.
pub fn ts_micros(ts: &str) -> Option<i64> {
    let (s, f) = ts.split_once('.').unwrap_or((ts, ""));
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || !f.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: i64 = s.parse().ok()?;
    let mut frac = f.chars().take(6).collect::<String>();
    while frac.len() < 6 {
        frac.push('0');
    }
    secs.checked_mul(1_000_000)?.checked_add(frac.parse::<i64>().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ts_and_days() {
        assert_eq!(ts_micros("1709632800.123456"), Some(1_709_632_800_123_456));
        assert_eq!(ts_micros("1709632800.1"), Some(1_709_632_800_100_000));
        assert_eq!(ts_micros("1709632800"), Some(1_709_632_800_000_000));
        assert_eq!(ts_micros("x.1"), None);
        assert!(is_day("2024-03-05"));
        assert!(!is_day("2024-3-05"));
        assert!(!is_day("channels"));
    }

    #[test]
    fn a_broken_element_is_a_problem_at_its_line() {
        let mut p = Vec::new();
        let json = b"[\n {\"ts\": \"1.000001\", \"text\": \"a\"},\n {\"ts\": \"2.0\", \"reactions\": 7},\n {\"ts\": \"3.0\"}\n]";
        let v: Vec<Message> = elements("general/2024-03-05.json", json, &mut p);
        assert_eq!(v.len(), 2);
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].file.as_str(), p[0].line), ("general/2024-03-05.json", Some(3)));
        let v: Vec<Message> = elements("x.json", b"[{\"ts\": \"1.0\"},\n{oops", &mut p);
        assert!(v.is_empty());
        assert_eq!(p[1].line, Some(2));
        let v: Vec<Message> = elements("y.json", b"\xEF\xBB\xBF[{\"text\": \"caf\xE9\"}]", &mut p);
        assert_eq!(v[0].text.as_deref(), Some("caf\u{FFFD}"));
        assert!(p[2].message.contains("UTF-8"));
    }
}
