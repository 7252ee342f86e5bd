//! The Slack export layout: the JSON shapes an export is made of, and the
//! `ts` message ids. Ids are ThreadSpace's own UUIDs (members, channels,
//! files); a message's `ts` is its time as Unix seconds with microseconds,
//! made unique within its conversation, and replies carry their root's `ts`
//! as `thread_ts`, as in Slack.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// A person (`users.json`).
#[derive(Debug, Serialize)]
pub struct User {
    pub id: Uuid,
    pub team_id: Uuid,
    pub name: String,
    pub real_name: String,
    pub deleted: bool,
    pub is_admin: bool,
    pub is_owner: bool,
    /// Guests.
    pub is_restricted: bool,
    pub is_bot: bool,
    pub tz: String,
    pub profile: Profile,
}

#[derive(Debug, Serialize)]
pub struct Profile {
    pub display_name: String,
    pub real_name: String,
    pub title: String,
    pub email: String,
    pub status_text: String,
    pub status_emoji: String,
}

/// A channel, private channel or group DM (`channels.json`, `groups.json`,
/// `mpims.json`).
#[derive(Debug, Serialize)]
pub struct Conversation {
    pub id: Uuid,
    pub name: String,
    pub created: i64,
    pub creator: Option<Uuid>,
    pub is_archived: bool,
    pub is_general: bool,
    pub members: Vec<Uuid>,
    pub topic: Text,
    pub purpose: Text,
}

/// A 1:1 direct message (`dms.json`).
#[derive(Debug, Serialize)]
pub struct Dm {
    pub id: Uuid,
    pub created: i64,
    pub members: Vec<Uuid>,
}

/// A topic or purpose.
#[derive(Debug, Serialize)]
pub struct Text {
    pub value: String,
    pub creator: String,
    pub last_set: i64,
}

impl Text {
    pub fn new(value: String) -> Text {
        Text { value, creator: String::new(), last_set: 0 }
    }
}

/// One message in a day file.
#[derive(Debug, Serialize)]
pub struct Message {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub user: Uuid,
    pub user_name: String,
    pub text: String,
    pub ts: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_ts: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_count: Option<i32>,
    /// A reply also sent to the channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subtype: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edited: Option<Edited>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<File>,
}

#[derive(Debug, Serialize)]
pub struct Edited {
    pub user: Uuid,
    pub ts: String,
}

#[derive(Debug, Serialize)]
pub struct Reaction {
    /// The shortcode, without colons.
    pub name: String,
    pub users: Vec<Uuid>,
    pub count: usize,
}

#[derive(Debug, Serialize)]
pub struct File {
    pub id: Uuid,
    pub name: String,
    pub title: String,
    pub mimetype: String,
    pub size: i64,
    /// The file's path inside the zip.
    pub url_private: String,
}

/// Where a file's bytes are inside the zip.
pub fn file_path(id: Uuid, name: &str) -> String {
    file_path_str(&id.to_string(), name)
}

/// [`file_path`] for any file id (the importer reads Slack's ids too).
pub fn file_path_str(id: &str, name: &str) -> String {
    format!("__uploads/{}/{}", safe_name(id), safe_name(name))
}

/// A name usable as one path segment in a zip.
pub fn safe_name(name: &str) -> String {
    let s: String =
        name.chars().map(|c| if c == '/' || c == '\\' || c.is_control() { '_' } else { c }).collect();
    match s.trim() {
        "" | "." | ".." => "file".into(),
        t => t.to_string(),
    }
}

/// Unix seconds.
pub fn unix(at: OffsetDateTime) -> i64 {
    at.unix_timestamp()
}

/// The day file a message goes in (`2024-03-05`, UTC).
pub fn day(at: OffsetDateTime) -> String {
    let d = at.to_offset(time::UtcOffset::UTC).date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Hands out `ts` values: a message's time in microseconds, moved forward
/// by one when two messages of a conversation share a microsecond.
#[derive(Default)]
pub struct Stamps {
    last: i128,
}

impl Stamps {
    pub fn next(&mut self, at: OffsetDateTime) -> String {
        let micros = (at.unix_timestamp_nanos() / 1000).max(self.last + 1);
        self.last = micros;
        format!("{}.{:06}", micros.div_euclid(1_000_000), micros.rem_euclid(1_000_000))
    }
}

/// A `ts` for a moment that need not be unique (edits).
pub fn ts(at: OffsetDateTime) -> String {
    Stamps::default().next(at)
}

/// The shortcode Slack uses for an emoji (the emoji itself if it has none).
pub fn reaction_name(emoji: &str) -> String {
    crate::messages::markdown::canonical_emoji(emoji)
        .and_then(|e| e.shortcode())
        .map_or_else(|| emoji.to_string(), str::to_string)
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn stamps_are_unique_and_sorted_within_a_conversation() {
        let mut s = Stamps::default();
        let at = datetime!(2024-03-05 10:00:00.123456 UTC);
        assert_eq!(s.next(at), "1709632800.123456");
        assert_eq!(s.next(at), "1709632800.123457");
        assert_eq!(s.next(datetime!(2024-03-05 09:00:00 UTC)), "1709632800.123458");
        assert_eq!(ts(datetime!(1970-01-01 00:00:01 UTC)), "1.000000");
        assert_eq!(day(datetime!(2024-03-05 23:30:00 -02:00)), "2024-03-06");
    }

    #[test]
    fn names_in_the_zip_stay_one_segment() {
        assert_eq!(safe_name("../../etc/passwd"), ".._.._etc_passwd");
        assert_eq!(safe_name(".."), "file");
        assert_eq!(file_path(Uuid::nil(), "a b.png"), format!("__uploads/{}/a b.png", Uuid::nil()));
        assert_eq!(reaction_name("🎉"), "tada");
        assert_eq!(reaction_name("not-an-emoji"), "not-an-emoji");
    }
}
