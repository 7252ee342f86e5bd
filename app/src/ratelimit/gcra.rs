//! The generic cell rate algorithm (GCRA), in process: the same arithmetic
//! as the Redis script in [`super::redis`], so a node that falls back to it
//! while Redis is away limits exactly as the cluster does (only per node).
//!
//! A bucket is one number, its *theoretical arrival time* (TAT): a request
//! is allowed when pushing the TAT one interval later keeps it within
//! `burst` intervals of now. Taking several buckets at once is all or
//! nothing, so a refused request costs none of them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use super::quota::Quota;

/// Many keyed buckets, forgotten once they are full again.
pub struct Local {
    start: Instant,
    tats: Mutex<HashMap<String, u64>>,
}

impl Default for Local {
    fn default() -> Self {
        Local { start: Instant::now(), tats: Mutex::new(HashMap::new()) }
    }
}

impl Local {
    fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    /// Takes one request from every bucket, or from none: `0` when allowed,
    /// else the milliseconds until it would be.
    pub fn take(&self, keys: &[(String, Quota)]) -> u64 {
        let now = self.now_ms();
        let mut tats = self.tats.lock().unwrap_or_else(|p| p.into_inner());
        let next: Vec<u64> =
            keys.iter().map(|(k, q)| tats.get(k).copied().unwrap_or(0).max(now) + q.interval_ms()).collect();
        let wait = keys.iter().zip(&next).map(|((_, q), n)| n.saturating_sub(now + q.tolerance_ms())).max();
        match wait {
            Some(w) if w > 0 => w,
            _ => {
                for ((k, _), n) in keys.iter().zip(next) {
                    tats.insert(k.clone(), n);
                }
                0
            }
        }
    }

    /// Forgets buckets that are full again, so memory stays bounded.
    pub fn housekeeping(&self) {
        let now = self.now_ms();
        self.tats.lock().unwrap_or_else(|p| p.into_inner()).retain(|_, tat| *tat > now);
    }
}

/// One bucket for one owner that is already single-threaded (a socket).
pub struct Bucket {
    quota: Quota,
    start: Instant,
    tat: u64,
}

impl Bucket {
    pub fn new(quota: Quota) -> Self {
        Bucket { quota, start: Instant::now(), tat: 0 }
    }

    /// Whether one more event fits now (and counts it if so).
    pub fn allow(&mut self) -> bool {
        let now = self.start.elapsed().as_millis() as u64;
        let next = self.tat.max(now) + self.quota.interval_ms();
        if next > now + self.quota.tolerance_ms() {
            return false;
        }
        self.tat = next;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(per_minute: u32, burst: u32) -> Quota {
        Quota { per_minute, burst }
    }

    #[test]
    fn a_burst_is_allowed_then_refused_with_the_wait() {
        let l = Local::default();
        let k = vec![("a".to_string(), q(60, 3))];
        for _ in 0..3 {
            assert_eq!(l.take(&k), 0);
        }
        let wait = l.take(&k);
        assert!((1..=1000).contains(&wait), "{wait}");
    }

    #[test]
    fn a_refusal_takes_nothing_from_the_other_bucket() {
        let l = Local::default();
        let narrow = ("narrow".to_string(), q(60, 1));
        let wide = ("wide".to_string(), q(60, 2));
        assert_eq!(l.take(&[narrow.clone(), wide.clone()]), 0);
        assert!(l.take(&[narrow, wide.clone()]) > 0);
        // `wide` lost only the first request: one more fits.
        assert_eq!(l.take(std::slice::from_ref(&wide)), 0);
        assert!(l.take(&[wide]) > 0);
    }

    #[test]
    fn socket_bucket_counts_its_burst() {
        let mut b = Bucket::new(q(60, 5));
        assert_eq!((0..10).filter(|_| b.allow()).count(), 5);
    }
}
