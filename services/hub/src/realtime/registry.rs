//! The delivery index of this node: which connections each user has here, and each connection by id.
//!
//! It knows nothing of groups or contacts (that is the membership cache). It sits behind one std
//! mutex: no lock is held across an `.await`, and every send into a connection's queue is a
//! non-blocking push, so one slow client never delays another.

use std::{collections::HashMap, sync::Mutex};

use super::{
    bus::Frame,
    conn::{ConnHandle, ConnId},
    metrics,
};

/// Where to deliver on this node.
#[derive(Debug, Default)]
pub struct Registry {
    index: Mutex<Index>,
}

#[derive(Debug, Default)]
struct Index {
    /// user → their connections here.
    users: HashMap<i64, Vec<ConnHandle>>,
    /// connection counter → connection.
    conns: HashMap<u64, ConnHandle>,
}

impl Registry {
    /// Registers a connection; true when it is the user's first here (the user came online).
    pub fn add(&self, conn: ConnHandle) -> bool {
        let mut index = self.index.lock().expect("registry lock");
        index.conns.insert(conn.id().local, conn.clone());
        let conns = index.users.entry(conn.user()).or_default();
        conns.push(conn);
        let first = conns.len() == 1;
        if first {
            metrics::users_online(1.0);
        }
        first
    }

    /// Removes a connection; true when it was the user's last here (the user went offline).
    pub fn remove(&self, user: i64, conn: ConnId) -> bool {
        let mut index = self.index.lock().expect("registry lock");
        if index.conns.remove(&conn.local).is_none() {
            return false;
        }
        let Some(conns) = index.users.get_mut(&user) else {
            return false;
        };
        conns.retain(|c| c.id() != conn);
        if !conns.is_empty() {
            return false;
        }
        index.users.remove(&user);
        metrics::users_online(-1.0);
        true
    }

    /// Whether the user has at least one connection here.
    pub fn is_online(&self, user: i64) -> bool {
        self.index
            .lock()
            .expect("registry lock")
            .users
            .contains_key(&user)
    }

    /// Queues a frame on every connection of these users except `skip`.
    pub fn push_to_users(&self, users: &[i64], frame: &Frame, skip: Option<ConnId>) {
        let index = self.index.lock().expect("registry lock");
        for user in users {
            if let Some(conns) = index.users.get(user) {
                for conn in conns.iter().filter(|c| Some(c.id()) != skip) {
                    conn.push(frame.clone());
                }
            }
        }
    }

    /// Queues a frame on one connection of this node, if it is still here.
    pub fn push_to_conn(&self, local: u64, frame: Frame) {
        let index = self.index.lock().expect("registry lock");
        if let Some(conn) = index.conns.get(&local) {
            conn.push(frame);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realtime::conn::{NodeId, Outbound, QueueLimits};

    fn conn(user: i64, local: u64, frames: usize) -> (ConnHandle, Outbound) {
        let id = ConnId {
            node: NodeId(1),
            local,
        };
        let limits = QueueLimits {
            frames,
            bytes: 1 << 20,
        };
        ConnHandle::new(id, user, limits)
    }

    #[test]
    fn full_queue_disconnects_only_the_slow_connection() {
        let registry = Registry::default();
        let (slow, _slow_rx) = conn(1, 1, 1);
        let (fast, mut fast_rx) = conn(2, 2, 8);
        let slow_kill = slow.killed().clone();
        registry.add(slow);
        registry.add(fast);
        for _ in 0..3 {
            registry.push_to_users(&[1, 2], &Frame::encode(&"x"), None);
        }
        assert!(slow_kill.is_cancelled());
        assert_eq!((0..3).filter(|_| fast_rx.try_recv().is_some()).count(), 3);
    }

    #[test]
    fn online_on_first_connection_offline_after_the_last() {
        let registry = Registry::default();
        let (one, _r1) = conn(1, 1, 1);
        let (two, _r2) = conn(1, 2, 1);
        let (id1, id2) = (one.id(), two.id());
        assert!(registry.add(one));
        assert!(!registry.add(two));
        assert!(!registry.remove(1, id1));
        assert!(registry.is_online(1));
        assert!(registry.remove(1, id2));
        assert!(!registry.is_online(1));
        assert!(!registry.remove(1, id2), "removing twice changes nothing");
    }

    #[test]
    fn a_frame_for_one_connection_reaches_only_it() {
        let registry = Registry::default();
        let (a, mut rx_a) = conn(1, 1, 4);
        let (b, mut rx_b) = conn(1, 2, 4);
        let b_id = b.id();
        registry.add(a);
        registry.add(b);
        registry.push_to_conn(b_id.local, Frame::encode(&"ack"));
        assert!(rx_b.try_recv().is_some());
        assert!(rx_a.try_recv().is_none());
        registry.push_to_users(&[1], &Frame::encode(&"m"), Some(b_id));
        assert!(rx_a.try_recv().is_some());
        assert!(rx_b.try_recv().is_none(), "the skipped connection");
    }
}
