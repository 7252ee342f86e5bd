//! Caps on open sockets, per member and per client IP, on one node: a
//! script that opens sockets in a loop is refused (`rate_limited`) before
//! the upgrade, instead of costing a task, buffers and presence writes
//! each. A slot is held by a [`Slot`] for the socket's life.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use uuid::Uuid;

#[derive(Default)]
struct Counts {
    member: HashMap<Uuid, usize>,
    ip: HashMap<IpAddr, usize>,
}

/// The open-socket counts of this node.
pub struct SocketCaps {
    per_member: usize,
    per_ip: usize,
    counts: Arc<Mutex<Counts>>,
}

/// One admitted socket; dropping it frees the slot.
pub struct Slot {
    counts: Arc<Mutex<Counts>>,
    member: Uuid,
    ip: Option<IpAddr>,
}

impl SocketCaps {
    pub fn new(per_member: usize, per_ip: usize) -> SocketCaps {
        SocketCaps { per_member: per_member.max(1), per_ip: per_ip.max(1), counts: Default::default() }
    }

    /// A slot for one more socket of `member` from `ip`, unless either is full.
    pub fn admit(&self, member: Uuid, ip: Option<IpAddr>) -> Option<Slot> {
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if c.member.get(&member).copied().unwrap_or(0) >= self.per_member {
            return None;
        }
        if let Some(ip) = ip {
            if c.ip.get(&ip).copied().unwrap_or(0) >= self.per_ip {
                return None;
            }
            *c.ip.entry(ip).or_default() += 1;
        }
        *c.member.entry(member).or_default() += 1;
        Some(Slot { counts: self.counts.clone(), member, ip })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = c.member.get_mut(&self.member) {
            *n -= 1;
            if *n == 0 {
                c.member.remove(&self.member);
            }
        }
        if let Some(ip) = self.ip {
            if let Some(n) = c.ip.get_mut(&ip) {
                *n -= 1;
                if *n == 0 {
                    c.ip.remove(&ip);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_hold_and_slots_come_back() {
        let caps = SocketCaps::new(2, 3);
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let s1 = caps.admit(a, Some(ip)).unwrap();
        let _s2 = caps.admit(a, Some(ip)).unwrap();
        assert!(caps.admit(a, Some(ip)).is_none(), "member cap");
        let _s3 = caps.admit(b, Some(ip)).unwrap();
        assert!(caps.admit(b, Some(ip)).is_none(), "IP cap");
        drop(s1);
        assert!(caps.admit(a, None).is_some());
    }
}
