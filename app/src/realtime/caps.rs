//! Caps on open sockets, per member and per client IP: a script that opens
//! sockets in a loop is refused (`rate_limited`) before the upgrade, instead
//! of costing a task, buffers and presence writes each. A slot is held by a
//! [`Slot`] for the socket's life.
//!
//! Each node counts its own sockets. With Redis the caps hold for the whole
//! cluster ([`cluster`]): every socket is also an entry in a sorted set per
//! member and per IP, so a member at the cap on one node is refused on the
//! others. When Redis does not answer in time, the node's own count decides:
//! an outage never locks anyone out.

mod cluster;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use uuid::Uuid;

use cluster::Cluster;

#[derive(Default)]
struct Counts {
    member: HashMap<Uuid, usize>,
    ip: HashMap<IpAddr, usize>,
}

/// The open-socket counts of this node (and, with Redis, of the cluster).
pub struct SocketCaps {
    per_member: usize,
    per_ip: usize,
    counts: Arc<Mutex<Counts>>,
    cluster: Option<Arc<Cluster>>,
}

/// One admitted socket; dropping it frees the slot.
pub struct Slot {
    counts: Arc<Mutex<Counts>>,
    member: Uuid,
    ip: Option<IpAddr>,
    /// The socket's entry in the cluster's sets.
    entry: Option<(Arc<Cluster>, String)>,
}

impl SocketCaps {
    /// Caps for this node alone.
    pub fn new(per_member: usize, per_ip: usize) -> SocketCaps {
        SocketCaps {
            per_member: per_member.max(1),
            per_ip: per_ip.max(1),
            counts: Default::default(),
            cluster: None,
        }
    }

    /// Caps for the cluster that shares `redis`; starts the task that keeps
    /// this node's entries alive.
    pub fn shared(
        per_member: usize,
        per_ip: usize,
        redis: redis::aio::ConnectionManager,
        node: Uuid,
    ) -> SocketCaps {
        let mut caps = SocketCaps::new(per_member, per_ip);
        caps.cluster = Some(Cluster::start(redis, node));
        caps
    }

    /// A slot for one more socket of `member` from `ip`, unless either is
    /// full on this node or, with Redis, in the cluster.
    pub async fn admit(&self, member: Uuid, ip: Option<IpAddr>) -> Option<Slot> {
        let mut slot = self.admit_here(member, ip)?;
        if let Some(c) = &self.cluster {
            let mut keys = vec![(format!("ts:ws:m:{member}"), self.per_member)];
            if let Some(ip) = ip {
                keys.push((format!("ts:ws:ip:{ip}"), self.per_ip));
            }
            // `None` (refused) drops the slot, which frees the local count.
            slot.entry = Some((c.clone(), c.admit(keys).await?));
        }
        Some(slot)
    }

    /// The node's own check.
    fn admit_here(&self, member: Uuid, ip: Option<IpAddr>) -> Option<Slot> {
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
        Some(Slot { counts: self.counts.clone(), member, ip, entry: None })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some((cluster, id)) = self.entry.take() {
            cluster.release(id);
        }
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
        let s1 = caps.admit_here(a, Some(ip)).unwrap();
        let _s2 = caps.admit_here(a, Some(ip)).unwrap();
        assert!(caps.admit_here(a, Some(ip)).is_none(), "member cap");
        let _s3 = caps.admit_here(b, Some(ip)).unwrap();
        assert!(caps.admit_here(b, Some(ip)).is_none(), "IP cap");
        drop(s1);
        assert!(caps.admit_here(a, None).is_some());
    }
}
