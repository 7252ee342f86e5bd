//! Reading client frames: every malformed, unknown or oversized frame gets a
//! precise error instead of a panic or a silent drop.

use super::ClientFrame;

/// The `type`s a client may send.
const KNOWN: &[&str] = &["resume", "ping", "typing", "activity"];

/// Why a text frame was refused: (`code`, human message).
pub fn parse(text: &str) -> Result<ClientFrame, (&'static str, String)> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| ("invalid_json", format!("the frame is not JSON: {e}")))?;
    let Some(kind) = value.get("type").and_then(|t| t.as_str()) else {
        return Err(("invalid_frame", "a frame must be a JSON object with a string `type`".into()));
    };
    if !KNOWN.contains(&kind) {
        return Err(("unknown_type", format!("unknown frame type `{kind}`")));
    }
    let kind = kind.to_string();
    serde_json::from_value(value).map_err(|e| ("invalid_frame", format!("bad `{kind}` frame: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_bad_frame_has_its_own_code() {
        assert_eq!(parse("{nope").unwrap_err().0, "invalid_json");
        assert_eq!(parse("[1,2]").unwrap_err().0, "invalid_frame");
        assert_eq!(parse(r#"{"type":"launch"}"#).unwrap_err().0, "unknown_type");
        assert_eq!(parse(r#"{"type":"typing","channel":"x"}"#).unwrap_err().0, "invalid_frame");
        assert!(matches!(parse(r#"{"type":"ping","id":1}"#), Ok(ClientFrame::Ping { id: Some(1) })));
    }
}
