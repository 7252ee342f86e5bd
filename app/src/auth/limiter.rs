//! Login rate limits, per account and per client IP.
//!
//! Both limits are token buckets (governor). A limited attempt is refused
//! before the password is checked, with `rate_limited` and the number of
//! seconds until the next attempt is allowed. The buckets live in this process:
//! with several nodes each enforces its own limit, which still bounds guessing
//! to N × the per-node rate.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::error::AppError;

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

/// Limits login attempts.
pub struct LoginLimiter {
    per_account: Keyed<String>,
    per_ip: Keyed<IpAddr>,
    clock: DefaultClock,
}

impl LoginLimiter {
    /// `per_account` and `per_ip` are attempts per minute (and the burst size).
    pub fn new(per_account: u32, per_ip: u32) -> Self {
        let q = |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).expect("max(1) is non-zero"));
        LoginLimiter {
            per_account: RateLimiter::keyed(q(per_account)),
            per_ip: RateLimiter::keyed(q(per_ip)),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one attempt for this email and IP; refuses it when either bucket is empty.
    pub fn check(&self, email: &str, ip: Option<IpAddr>) -> Result<(), AppError> {
        let wait = |nu: governor::NotUntil<_>| AppError::RateLimited {
            retry_after_secs: nu.wait_time_from(self.clock.now()).as_secs().max(1),
        };
        if let Some(ip) = ip {
            self.per_ip.check_key(&ip).map_err(wait)?;
        }
        self.per_account.check_key(&email.to_lowercase()).map_err(wait)?;
        Ok(())
    }

    /// Forgets buckets that are full again, so memory stays bounded.
    pub fn housekeeping(&self) {
        self.per_account.retain_recent();
        self.per_ip.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_bucket_refuses_after_burst_and_says_when_to_retry() {
        let l = LoginLimiter::new(3, 100);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            l.check("a@x.io", Some(ip)).unwrap();
        }
        match l.check("A@X.io", Some(ip)) {
            Err(AppError::RateLimited { retry_after_secs }) => {
                assert!((1..=20).contains(&retry_after_secs), "{retry_after_secs}")
            }
            other => panic!("expected rate_limited, got {other:?}"),
        }
        // Another account from the same IP is unaffected.
        l.check("b@x.io", Some(ip)).unwrap();
    }

    #[test]
    fn ip_bucket_limits_across_accounts() {
        let l = LoginLimiter::new(100, 2);
        let ip: IpAddr = "10.0.0.2".parse().unwrap();
        l.check("a@x.io", Some(ip)).unwrap();
        l.check("b@x.io", Some(ip)).unwrap();
        assert!(l.check("c@x.io", Some(ip)).is_err());
        l.check("c@x.io", Some("10.0.0.3".parse().unwrap())).unwrap();
    }
}
