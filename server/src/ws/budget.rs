//! What one socket may send: a hostile client is bounded here, per socket.
//! Every frame but `ping` takes from a budget (over it, the socket closes
//! with 1008); `activity` counts at most once per 30 s, `typing` once per
//! conversation per 3 s whatever the thread, and a second `resume` within
//! 5 s is refused (the connection then resyncs).

use std::collections::HashMap;
use std::time::Duration;

use app::ratelimit::gcra::Bucket;
use app::ratelimit::Quota;
use app::realtime::TYPING_INTERVAL_SECS;
use tokio::time::Instant;
use uuid::Uuid;

/// Every frame a client sends takes from this: 5 a second, 30 at once.
const FRAME_QUOTA: Quota = Quota { per_minute: 300, burst: 30 };
/// `activity` frames count at most this often (others are ignored).
const ACTIVITY_EVERY: Duration = Duration::from_secs(30);
/// A second `resume` sooner than this means resync.
const RESUME_EVERY: Duration = Duration::from_secs(5);

/// One socket's budgets.
pub struct Budget {
    frames: Bucket,
    last_activity: Option<Instant>,
    last_resume: Option<Instant>,
    /// Per conversation, when its last `typing` went out.
    typing: HashMap<Uuid, Instant>,
}

impl Budget {
    pub fn new() -> Budget {
        Budget {
            frames: Bucket::new(FRAME_QUOTA),
            last_activity: None,
            last_resume: None,
            typing: HashMap::new(),
        }
    }

    /// Counts one frame; false when the socket is over its budget.
    pub fn frame(&mut self) -> bool {
        self.frames.allow()
    }

    /// Whether this `activity` frame counts (and notes it if so).
    pub fn activity(&mut self) -> bool {
        Self::at_most_every(&mut self.last_activity, ACTIVITY_EVERY)
    }

    /// Whether this `resume` may replay (and notes it if so).
    pub fn resume(&mut self) -> bool {
        Self::at_most_every(&mut self.last_resume, RESUME_EVERY)
    }

    /// Whether a `typing` for `channel` goes out now. Composers send one
    /// frame per 3 s; some jitter is allowed.
    pub fn typing(&mut self, channel: Uuid) -> bool {
        let min = Duration::from_millis(TYPING_INTERVAL_SECS * 1000 - 500);
        let now = Instant::now();
        if self.typing.get(&channel).is_some_and(|t| now.duration_since(*t) < min) {
            return false;
        }
        self.typing.retain(|_, t| now.duration_since(*t) < min);
        self.typing.insert(channel, now);
        true
    }

    fn at_most_every(last: &mut Option<Instant>, every: Duration) -> bool {
        let now = Instant::now();
        if last.is_some_and(|t| now.duration_since(t) < every) {
            return false;
        }
        *last = Some(now);
        true
    }
}
