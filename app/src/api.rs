//! The success half of the Web API envelope, and opaque cursors.
//!
//! Every API method answers `{"ok": true, ...fields}`. [`Reply`] wraps a result
//! struct and flattens its fields next to `ok`, so one type describes the wire
//! form for both the server and the WASM client.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::error::AppError;

/// `{"ok": true, ...T}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Reply<T> {
    pub ok: bool,
    #[serde(flatten)]
    pub data: T,
}

impl<T> Reply<T> {
    pub fn new(data: T) -> Self {
        Reply { ok: true, data }
    }
}

/// A result with no fields beyond `ok`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Default)]
pub struct Empty {}

/// Pagination metadata, as in Slack's Web API.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct ResponseMetadata {
    /// Pass this as `cursor` to get the next page; empty when there is none.
    pub next_cursor: String,
}

/// Encodes a position in a list as an opaque string. Clients must not parse it.
pub fn encode_cursor<T: Serialize>(pos: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(pos).unwrap_or_default())
}

/// Decodes a cursor made by [`encode_cursor`]; anything else is `invalid_cursor`.
pub fn decode_cursor<T: DeserializeOwned>(cursor: &str) -> Result<T, AppError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| AppError::InvalidArguments("invalid_cursor: the cursor is not valid".into()))
}

/// A date for people: `2026-11-28`.
pub fn format_date(t: time::OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    t.format(&f).unwrap_or_default()
}

/// A date and time for people, in UTC: `2026-11-28 14:05 UTC`.
pub fn format_datetime(t: time::OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    t.to_offset(time::UtcOffset::UTC).format(&f).unwrap_or_default()
}

/// Clamps a requested page size to `1..=max`, with `default` when absent.
pub fn page_limit(limit: Option<i64>, default: i64, max: i64) -> i64 {
    limit.unwrap_or(default).clamp(1, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Out {
        user_id: String,
    }

    #[test]
    fn reply_flattens_fields_next_to_ok() {
        let v = serde_json::to_value(Reply::new(Out { user_id: "u".into() })).unwrap();
        assert_eq!(v, serde_json::json!({"ok": true, "user_id": "u"}));
        let back: Reply<Out> = serde_json::from_value(v).unwrap();
        assert_eq!(back.data.user_id, "u");
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = encode_cursor(&("alice", 3));
        let back: (String, i32) = decode_cursor(&c).unwrap();
        assert_eq!(back, ("alice".to_string(), 3));
        assert!(decode_cursor::<(String, i32)>("%%%").is_err());
    }

    #[test]
    fn limits_are_clamped() {
        assert_eq!(page_limit(None, 100, 200), 100);
        assert_eq!(page_limit(Some(0), 100, 200), 1);
        assert_eq!(page_limit(Some(5000), 100, 200), 200);
    }
}
