//! Who is typing where: the receiving side's bookkeeping and its label, and
//! the sending side's throttle. Pure logic over millisecond timestamps, so the
//! browser drives it with `Date.now()` and tests drive it with a fake clock.

use uuid::Uuid;

use super::{TYPING_EXPIRY_SECS, TYPING_INTERVAL_SECS};

/// Typing indicators seen in one conversation (a channel or a thread).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TypingSet {
    /// (user, name, expires at ms), oldest first.
    entries: Vec<(Uuid, String, u64)>,
}

impl TypingSet {
    /// Someone is typing (again): shown until `now + 6 s`.
    pub fn typing(&mut self, user: Uuid, name: &str, now_ms: u64) {
        let until = now_ms + TYPING_EXPIRY_SECS * 1000;
        match self.entries.iter_mut().find(|e| e.0 == user) {
            Some(e) => e.2 = until,
            None => self.entries.push((user, name.to_string(), until)),
        }
    }

    /// Their message arrived: the indicator goes at once.
    pub fn stopped(&mut self, user: Uuid) {
        self.entries.retain(|e| e.0 != user);
    }

    /// Drops expired indicators; says whether anything changed.
    pub fn expire(&mut self, now_ms: u64) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| e.2 > now_ms);
        before != self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// "Alice is typing…", "Alice and Bob are typing…", "Several people are typing…".
    pub fn label(&self) -> Option<String> {
        match self.entries.as_slice() {
            [] => None,
            [a] => Some(format!("{} is typing…", a.1)),
            [a, b] => Some(format!("{} and {} are typing…", a.1, b.1)),
            _ => Some("Several people are typing…".to_string()),
        }
    }
}

/// The composer's side: whether a keystroke should send a `typing` frame
/// (at most one every 3 s per conversation).
#[derive(Debug, Clone, Default)]
pub struct TypingThrottle {
    last: Option<(Uuid, Option<i64>, u64)>,
}

impl TypingThrottle {
    pub fn should_send(&mut self, channel: Uuid, thread_seq: Option<i64>, now_ms: u64) -> bool {
        if let Some((c, t, at)) = self.last {
            if c == channel && t == thread_seq && now_ms < at + TYPING_INTERVAL_SECS * 1000 {
                return false;
            }
        }
        self.last = Some((channel, thread_seq, now_ms));
        true
    }

    /// A message was sent: the next keystroke may announce typing at once.
    pub fn reset(&mut self) {
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indicators_expire_six_seconds_after_the_last_refresh() {
        let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let mut s = TypingSet::default();
        s.typing(a, "Alice", 0);
        assert_eq!(s.label().as_deref(), Some("Alice is typing…"));
        s.typing(b, "Bob", 1000);
        assert_eq!(s.label().as_deref(), Some("Alice and Bob are typing…"));
        s.typing(c, "Carol", 2000);
        assert_eq!(s.label().as_deref(), Some("Several people are typing…"));
        s.typing(a, "Alice", 5000); // refreshed: lives until 11 000
        assert!(s.expire(7000)); // Bob (7 000) goes; Carol lives until 8 000
        assert_eq!(s.label().as_deref(), Some("Alice and Carol are typing…"));
        assert!(!s.expire(7999));
        assert!(s.expire(8000));
        assert_eq!(s.label().as_deref(), Some("Alice is typing…"));
        assert!(s.expire(11_000));
        assert!(s.is_empty() && s.label().is_none());
    }

    #[test]
    fn a_message_clears_its_authors_indicator_at_once() {
        let mut s = TypingSet::default();
        s.typing(Uuid::from_u128(1), "Alice", 0);
        s.stopped(Uuid::from_u128(1));
        assert!(s.label().is_none());
    }

    #[test]
    fn the_composer_sends_at_most_one_frame_per_three_seconds_per_conversation() {
        let (c1, c2) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut t = TypingThrottle::default();
        assert!(t.should_send(c1, None, 0));
        assert!(!t.should_send(c1, None, 2999));
        assert!(t.should_send(c1, None, 3000));
        assert!(t.should_send(c1, Some(5), 3001), "a thread is another conversation");
        assert!(t.should_send(c2, None, 3002));
        t.reset();
        assert!(t.should_send(c2, None, 3003));
    }
}
