//! A bucket's size, the one type the limiter's parts share (a leaf module).

/// A bucket's size: `per_minute` requests on average, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quota {
    pub per_minute: u32,
    pub burst: u32,
}

impl Quota {
    /// Milliseconds per request at the steady rate.
    pub fn interval_ms(&self) -> u64 {
        (60_000 / u64::from(self.per_minute.max(1))).max(1)
    }

    /// How far ahead of now the bucket may run: the burst.
    pub fn tolerance_ms(&self) -> u64 {
        self.interval_ms() * u64::from(self.burst.max(1))
    }

    pub(super) fn scaled(self, by: f64) -> Quota {
        let s = |n: u32| ((f64::from(n) * by).round() as u32).max(1);
        Quota { per_minute: s(self.per_minute), burst: s(self.burst) }
    }
}
