//! Tests of the wire types: backoff, frames and event shapes.

use super::*;

#[test]
fn reconnect_backoff_doubles_with_jitter_up_to_a_cap() {
    assert_eq!(backoff_ms(1, 0.5), 500);
    assert_eq!(backoff_ms(2, 0.5), 1000);
    assert_eq!(backoff_ms(5, 0.5), 8000);
    assert_eq!(backoff_ms(40, 0.5), 30_000);
    assert_eq!(backoff_ms(1, 0.0), 250);
    assert_eq!(backoff_ms(40, 0.999_999), 44_999);
}

#[test]
fn frames_are_tagged_by_type() {
    let e = Event::MemberLeft { channel: Uuid::nil(), user: Uuid::nil() };
    let stamped = Stamped { event: e.clone(), channel_seq: Some(41) };
    let json = serde_json::to_value(ServerFrame::Event(stamped.clone())).unwrap();
    assert_eq!((&json["type"], &json["channel_seq"]), (&"member_left".into(), &41.into()));
    let back: ServerFrame = serde_json::from_value(json).unwrap();
    assert_eq!(back, ServerFrame::Event(stamped));
    let plain = serde_json::to_value(ServerFrame::Event(Stamped::plain(e))).unwrap();
    assert!(plain.get("channel_seq").is_none(), "{plain}");
    let c: ServerFrame = serde_json::from_str(r#"{"type":"pong","id":7}"#).unwrap();
    assert_eq!(c, ServerFrame::Control(Control::Pong { id: Some(7) }));
}

#[test]
fn a_jump_in_seqs_is_a_gap_and_a_repeat_is_not() {
    let (c, u) = (Uuid::from_u128(1), Uuid::from_u128(2));
    let joined = |seq| Stamped { event: Event::MemberJoined { channel: c, user: u }, channel_seq: seq };
    assert!(!joined(Some(10)).gap(10), "nothing new since seq 10");
    assert!(joined(Some(11)).gap(10), "message 11 was committed before this event and never seen");
    assert!(!joined(None).gap(10), "no stamp, no claim");
    let created = |seq| Stamped {
        event: Event::MessageCreated {
            message: crate::messages::Message { channel: c, seq, ..apply::tests::msg() },
        },
        channel_seq: Some(seq),
    };
    assert!(!created(11).gap(10), "the next message");
    assert!(!created(9).gap(10), "an old one again (a retry's re-announcement)");
    assert!(created(13).gap(10), "11 and 12 were missed");
}

#[test]
fn client_frames_parse_and_unknown_types_fail() {
    let f: ClientFrame = serde_json::from_str(r#"{"type":"resume"}"#).unwrap();
    assert_eq!(f, ClientFrame::Resume { channels: HashMap::new() });
    assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"explode"}"#).is_err());
    assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"typing"}"#).is_err());
}
