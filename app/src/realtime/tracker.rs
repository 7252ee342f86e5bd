//! One node's view of presence: its sockets per member, when each last saw
//! input, and what that makes the member. Pure bookkeeping over tokio's
//! clock, so idle detection is tested with paused time.
//!
//! The once-a-second pass looks only at members something happened to
//! (a connect, a close, input) and at those whose quiet spell may have just
//! run out, from a queue ordered by that moment. Walking every member each
//! second instead cost 15% of an idle node's CPU at 19,000 members (scale
//! suite, P1).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::Duration;

use tokio::time::Instant;
use uuid::Uuid;

use super::hub::SocketId;
use super::Presence;

#[derive(Debug)]
struct Member {
    workspace: Uuid,
    /// The workspace's idle setting.
    idle_after: Duration,
    /// Socket → when it last reported input.
    conns: HashMap<SocketId, Instant>,
    /// The member's entry in [`Tracker::due`], if any (at most one is live).
    queued: Option<Instant>,
}

/// This node's sockets per member, and what that makes them.
#[derive(Debug, Default)]
pub struct Tracker {
    members: HashMap<Uuid, Member>,
    /// What each member was at the last evaluation.
    shown: HashMap<Uuid, Presence>,
    /// Members to evaluate at the next pass: something happened to them.
    dirty: Vec<Uuid>,
    /// When a member online now may turn idle, earliest first. An entry
    /// whose member has since had input is moved later when it comes up.
    due: BinaryHeap<Reverse<(Instant, Uuid)>>,
}

impl Tracker {
    fn state(m: &Member, now: Instant) -> Presence {
        if m.conns.is_empty() {
            Presence::Offline
        } else if m.conns.values().any(|t| now.saturating_duration_since(*t) < m.idle_after) {
            Presence::Online
        } else {
            Presence::Idle
        }
    }

    pub fn connect(&mut self, member: Uuid, workspace: Uuid, socket: SocketId, idle_after: Duration) {
        let m = self.members.entry(member).or_insert_with(|| Member {
            workspace,
            idle_after,
            conns: HashMap::new(),
            queued: None,
        });
        m.idle_after = idle_after;
        let now = Instant::now();
        m.conns.insert(socket, now);
        Self::queue(&mut self.due, member, m, now + idle_after);
        self.dirty.push(member);
    }

    /// Makes sure `member` comes up by `when` (a later live entry is
    /// superseded; an earlier one is moved on when it comes up).
    fn queue(due: &mut BinaryHeap<Reverse<(Instant, Uuid)>>, member: Uuid, m: &mut Member, when: Instant) {
        if m.queued.is_none_or(|q| when < q) {
            m.queued = Some(when);
            due.push(Reverse((when, member)));
        }
    }

    pub fn disconnect(&mut self, member: Uuid, socket: SocketId) {
        if let Some(m) = self.members.get_mut(&member) {
            m.conns.remove(&socket);
            self.dirty.push(member);
        }
    }

    /// Input in a tab (`active`), or the tab went to the background.
    pub fn activity(&mut self, member: Uuid, socket: SocketId, active: bool) {
        if let Some(m) = self.members.get_mut(&member) {
            let idle_after = m.idle_after;
            let Some(t) = m.conns.get_mut(&socket) else { return };
            let now = Instant::now();
            *t = if active { now } else { now.checked_sub(idle_after).unwrap_or(now) };
            if active {
                Self::queue(&mut self.due, member, m, now + idle_after);
            }
            self.dirty.push(member);
        }
    }

    /// Returns (member, workspace, new state) for each change since the last
    /// call, and forgets offline members. Run once a second, for the idle
    /// transitions that no event causes; it looks only at members who had
    /// an event or whose quiet spell may be over.
    pub fn changes(&mut self) -> Vec<(Uuid, Uuid, Presence)> {
        let now = Instant::now();
        let mut ids = std::mem::take(&mut self.dirty);
        while let Some(&Reverse((when, id))) = self.due.peek() {
            if when > now {
                break;
            }
            self.due.pop();
            let Some(m) = self.members.get_mut(&id) else { continue };
            if m.queued != Some(when) {
                continue; // stale: the member's live entry is another
            }
            m.queued = None;
            let quiet_until = m.conns.values().max().map(|t| *t + m.idle_after);
            if let Some(later) = quiet_until.filter(|t| *t > now) {
                Self::queue(&mut self.due, id, m, later);
            }
            ids.push(id);
        }
        ids.into_iter().filter_map(|id| self.change(id)).collect()
    }

    /// Re-evaluates one member (their socket connected, closed or saw
    /// input): constant time, where evaluating everyone on the node at each
    /// of 20,000 connects would be quadratic.
    pub fn change(&mut self, member: Uuid) -> Option<(Uuid, Uuid, Presence)> {
        let m = self.members.get(&member)?;
        let (ws, p) = (m.workspace, Tracker::state(m, Instant::now()));
        let changed = self.shown.get(&member).copied().unwrap_or(Presence::Offline) != p;
        if p == Presence::Offline {
            self.members.remove(&member);
            self.shown.remove(&member);
        } else {
            self.shown.insert(member, p);
        }
        changed.then_some((member, ws, p))
    }

    pub fn get(&self, member: Uuid) -> Presence {
        self.shown.get(&member).copied().unwrap_or(Presence::Offline)
    }

    /// Drops everyone (the node is shutting down).
    pub fn forget_all(&mut self) {
        self.members.clear();
        self.shown.clear();
        self.dirty.clear();
        self.due.clear();
    }

    /// Everyone this node shows as present.
    pub fn present(&self) -> Vec<(Uuid, Uuid, Presence)> {
        self.present_where(|_| true)
    }

    /// Those of [`Self::present`] whose id passes `keep`.
    pub fn present_where(&self, keep: impl Fn(&Uuid) -> bool) -> Vec<(Uuid, Uuid, Presence)> {
        let shown = self.shown.iter().filter(|(id, _)| keep(id));
        shown.filter_map(|(id, p)| Some((*id, self.members.get(id)?.workspace, *p))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn members_go_idle_after_the_quiet_spell_and_back_on_input() {
        let (m, ws) = (Uuid::from_u128(1), Uuid::from_u128(9));
        let mut t = Tracker::default();
        let five = Duration::from_secs(300);
        t.connect(m, ws, 1, five);
        assert_eq!(t.changes(), vec![(m, ws, Presence::Online)]);
        tokio::time::advance(Duration::from_secs(299)).await;
        assert!(t.changes().is_empty());
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(t.changes(), vec![(m, ws, Presence::Idle)]);
        t.activity(m, 1, true);
        assert_eq!(t.changes(), vec![(m, ws, Presence::Online)]);
    }

    #[tokio::test(start_paused = true)]
    async fn input_moves_the_idle_moment_later() {
        let (m, other, ws) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(9));
        let mut t = Tracker::default();
        let five = Duration::from_secs(300);
        t.connect(m, ws, 1, five);
        t.connect(other, ws, 2, Duration::from_secs(600));
        assert_eq!(t.changes().len(), 2);
        tokio::time::advance(Duration::from_secs(250)).await;
        t.activity(m, 1, true);
        assert!(t.changes().is_empty(), "input while online changes nothing");
        tokio::time::advance(Duration::from_secs(50)).await;
        assert!(t.changes().is_empty(), "the first idle moment passed, but input came since");
        tokio::time::advance(Duration::from_secs(249)).await;
        assert!(t.changes().is_empty());
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(t.changes(), vec![(m, ws, Presence::Idle)], "300 s after the last input");
        tokio::time::advance(Duration::from_secs(50)).await;
        assert_eq!(t.changes(), vec![(other, ws, Presence::Idle)], "each member at their own setting");
        assert_eq!(t.due.len(), 0, "nothing left queued for idle members");
    }

    #[tokio::test(start_paused = true)]
    async fn a_member_is_online_while_any_tab_is() {
        let (m, ws) = (Uuid::from_u128(1), Uuid::from_u128(9));
        let mut t = Tracker::default();
        let five = Duration::from_secs(300);
        t.connect(m, ws, 1, five);
        tokio::time::advance(Duration::from_secs(200)).await;
        t.connect(m, ws, 2, five);
        t.changes();
        tokio::time::advance(Duration::from_secs(200)).await;
        assert!(t.changes().is_empty(), "tab 2 was used 200 s ago: still online");
        t.activity(m, 2, false);
        assert_eq!(t.changes(), vec![(m, ws, Presence::Idle)], "both tabs quiet or hidden");
        t.disconnect(m, 1);
        assert!(t.changes().is_empty());
        t.disconnect(m, 2);
        assert_eq!(t.changes(), vec![(m, ws, Presence::Offline)]);
        assert_eq!(t.get(m), Presence::Offline);
    }

    #[tokio::test(start_paused = true)]
    async fn one_member_is_evaluated_without_touching_the_others() {
        let (a, b, ws) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(9));
        let mut t = Tracker::default();
        let five = Duration::from_secs(300);
        t.connect(a, ws, 1, five);
        t.connect(b, ws, 2, five);
        assert_eq!(t.change(a), Some((a, ws, Presence::Online)));
        assert_eq!(t.change(a), None, "nothing new for a");
        assert_eq!(t.get(b), Presence::Offline, "b is not evaluated yet");
        assert_eq!(t.changes(), vec![(b, ws, Presence::Online)], "the periodic pass finds b");
        t.disconnect(a, 1);
        assert_eq!(t.change(a), Some((a, ws, Presence::Offline)));
        assert_eq!(t.change(a), None, "an offline member is forgotten");
        assert_eq!(t.get(b), Presence::Online);
    }
}
