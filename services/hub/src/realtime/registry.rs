//! The registry of online users: userid → [`Node`], plus a member index group id → online members.
//!
//! Both maps sit behind std mutexes: no lock is ever held across an `.await`, and every send into a
//! connection's queue is a non-blocking `try_send`, so one slow client never delays another.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use axum::extract::ws::Message;
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio_util::sync::CancellationToken;

use super::metrics;

/// Identifies one WebSocket connection for the life of the process.
pub type ConnId = u64;

/// The sending side of one connection: its bounded outbound queue and the switch that closes it.
#[derive(Clone, Debug)]
pub struct ConnHandle {
    pub id: ConnId,
    pub user_id: i64,
    queue: mpsc::Sender<Message>,
    kill: CancellationToken,
}

impl ConnHandle {
    /// Makes a handle and the receiving end of its queue of `capacity` frames.
    pub fn new(user_id: i64, capacity: usize) -> (Self, mpsc::Receiver<Message>) {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let (queue, rx) = mpsc::channel(capacity);
        let handle = Self {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            user_id,
            queue,
            kill: CancellationToken::new(),
        };
        (handle, rx)
    }

    /// Queues a frame without waiting. A connection whose queue is full has fallen too far
    /// behind: it is disconnected (it catches up with cmd 30 when it returns).
    pub fn push(&self, frame: Message) {
        match self.queue.try_send(frame) {
            Ok(()) => metrics::frame_out(),
            Err(TrySendError::Full(_)) => {
                metrics::queue_drop();
                tracing::warn!(
                    conn = self.id,
                    user = self.user_id,
                    "outbound queue full; disconnecting"
                );
                self.kill.cancel();
            }
            Err(TrySendError::Closed(_)) => {}
        }
    }

    /// Queues a frame, waiting while the queue is full (for replays, which must not overflow it).
    pub async fn send(&self, frame: Message) {
        if self.queue.send(frame).await.is_ok() {
            metrics::frame_out();
        }
    }

    /// Cancelled when the connection must close (too slow, or replaced).
    pub fn killed(&self) -> &CancellationToken {
        &self.kill
    }
}

/// One online user: live connections, groups and contacts (for presence).
#[derive(Debug, Default)]
pub struct Node {
    pub conns: Vec<ConnHandle>,
    pub groups: HashSet<i64>,
    pub contacts: HashSet<i64>,
}

/// Who is online, and where to deliver.
#[derive(Debug, Default)]
pub struct Registry {
    /// userid → node. Locked only for map updates and lookups, never across an await.
    nodes: Mutex<HashMap<i64, Node>>,
    /// group id → online members, so group fan-out never scans all connections.
    members: Mutex<HashMap<i64, HashSet<i64>>>,
}

/// What [`Registry::add`] and [`Registry::remove`] tell the caller about presence.
#[derive(Debug, PartialEq, Eq)]
pub enum PresenceChange {
    /// The user's first connection arrived, or the last one left: tell these contacts.
    Changed {
        contacts: Vec<i64>,
    },
    Unchanged,
}

impl Registry {
    /// Registers a connection of a user whose groups and contacts are given (from the database).
    pub fn add(
        &self,
        conn: ConnHandle,
        groups: HashSet<i64>,
        contacts: HashSet<i64>,
    ) -> PresenceChange {
        let user = conn.user_id;
        let mut nodes = self.nodes.lock().expect("registry lock");
        let node = nodes.entry(user).or_default();
        let first = node.conns.is_empty();
        node.conns.push(conn);
        if !first {
            return PresenceChange::Unchanged;
        }
        node.groups = groups;
        node.contacts = contacts;
        let groups: Vec<i64> = node.groups.iter().copied().collect();
        let contacts = node.contacts.iter().copied().collect();
        drop(nodes);
        let mut members = self.members.lock().expect("member index lock");
        for group in groups {
            members.entry(group).or_default().insert(user);
        }
        metrics::users_online(1.0);
        PresenceChange::Changed { contacts }
    }

    /// Removes a connection; when it was the user's last, the user goes offline.
    pub fn remove(&self, user: i64, conn: ConnId) -> PresenceChange {
        let mut nodes = self.nodes.lock().expect("registry lock");
        let Some(node) = nodes.get_mut(&user) else {
            return PresenceChange::Unchanged;
        };
        node.conns.retain(|c| c.id != conn);
        if !node.conns.is_empty() {
            return PresenceChange::Unchanged;
        }
        let node = nodes.remove(&user).expect("node present");
        drop(nodes);
        let mut members = self.members.lock().expect("member index lock");
        for group in &node.groups {
            if let Some(set) = members.get_mut(group) {
                set.remove(&user);
                if set.is_empty() {
                    members.remove(group);
                }
            }
        }
        metrics::users_online(-1.0);
        PresenceChange::Changed {
            contacts: node.contacts.into_iter().collect(),
        }
    }

    /// Whether the user has at least one live connection.
    pub fn is_online(&self, user: i64) -> bool {
        self.nodes
            .lock()
            .expect("registry lock")
            .contains_key(&user)
    }

    /// Whether the user (online) is a member of the group, from the in-memory node.
    pub fn in_group(&self, user: i64, group: i64) -> Option<bool> {
        let nodes = self.nodes.lock().expect("registry lock");
        nodes.get(&user).map(|node| node.groups.contains(&group))
    }

    /// The user joined a group (called by the groups API).
    pub fn join_group(&self, user: i64, group: i64) {
        let mut nodes = self.nodes.lock().expect("registry lock");
        let Some(node) = nodes.get_mut(&user) else {
            return;
        };
        node.groups.insert(group);
        drop(nodes);
        self.members
            .lock()
            .expect("member index lock")
            .entry(group)
            .or_default()
            .insert(user);
    }

    /// The user left a group (called by the groups API).
    pub fn leave_group(&self, user: i64, group: i64) {
        let mut nodes = self.nodes.lock().expect("registry lock");
        if let Some(node) = nodes.get_mut(&user) {
            node.groups.remove(&group);
        }
        drop(nodes);
        if let Some(set) = self
            .members
            .lock()
            .expect("member index lock")
            .get_mut(&group)
        {
            set.remove(&user);
        }
    }

    /// Two users became contacts (or stopped being contacts): update both nodes' presence sets.
    pub fn set_contact(&self, a: i64, b: i64, linked: bool) {
        let mut nodes = self.nodes.lock().expect("registry lock");
        for (me, other) in [(a, b), (b, a)] {
            if let Some(node) = nodes.get_mut(&me) {
                if linked {
                    node.contacts.insert(other);
                } else {
                    node.contacts.remove(&other);
                }
            }
        }
    }

    /// Queues a frame on every connection of a user except `skip`.
    pub fn send_to_user(&self, user: i64, frame: &Message, skip: Option<ConnId>) {
        let nodes = self.nodes.lock().expect("registry lock");
        if let Some(node) = nodes.get(&user) {
            push_all(&node.conns, frame, skip);
        }
    }

    /// Queues a frame on every connection of every online member of a group except `skip`.
    pub fn send_to_group(&self, group: i64, frame: &Message, skip: Option<ConnId>) {
        let online: Vec<i64> = match self.members.lock().expect("member index lock").get(&group) {
            Some(set) => set.iter().copied().collect(),
            None => return,
        };
        let nodes = self.nodes.lock().expect("registry lock");
        for user in online {
            if let Some(node) = nodes.get(&user) {
                push_all(&node.conns, frame, skip);
            }
        }
    }

    /// Closes every connection's queue (shutdown): each session flushes what is queued, then
    /// sends a close frame.
    pub fn clear(&self) {
        self.members.lock().expect("member index lock").clear();
        self.nodes.lock().expect("registry lock").clear();
    }
}

fn push_all(conns: &[ConnHandle], frame: &Message, skip: Option<ConnId>) {
    for conn in conns.iter().filter(|c| Some(c.id) != skip) {
        conn.push(frame.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_fan_out_reaches_online_members_only_once_each() {
        let registry = Registry::default();
        let (a, mut rx_a) = ConnHandle::new(1, 8);
        let (b, mut rx_b) = ConnHandle::new(2, 8);
        let (c, mut rx_c) = ConnHandle::new(3, 8);
        registry.add(a, [10].into(), HashSet::new());
        registry.add(b, [10].into(), HashSet::new());
        registry.add(c, [11].into(), HashSet::new());
        registry.send_to_group(10, &Message::Text("hi".into()), None);
        assert!(rx_a.try_recv().is_ok() && rx_a.try_recv().is_err());
        assert!(rx_b.try_recv().is_ok());
        assert!(rx_c.try_recv().is_err());
    }

    #[test]
    fn full_queue_disconnects_only_the_slow_connection() {
        let registry = Registry::default();
        let (slow, _rx_slow) = ConnHandle::new(1, 1);
        let (fast, mut rx_fast) = ConnHandle::new(2, 8);
        let slow_kill = slow.killed().clone();
        registry.add(slow, [5].into(), HashSet::new());
        registry.add(fast, [5].into(), HashSet::new());
        for _ in 0..3 {
            registry.send_to_group(5, &Message::Text("x".into()), None);
        }
        assert!(slow_kill.is_cancelled());
        assert_eq!((0..3).filter(|_| rx_fast.try_recv().is_ok()).count(), 3);
    }

    #[test]
    fn presence_changes_on_first_and_last_connection() {
        let registry = Registry::default();
        let (one, _r1) = ConnHandle::new(1, 1);
        let (two, _r2) = ConnHandle::new(1, 1);
        let (id1, id2) = (one.id, two.id);
        let changed = PresenceChange::Changed { contacts: vec![9] };
        assert_eq!(registry.add(one, HashSet::new(), [9].into()), changed);
        assert_eq!(
            registry.add(two, HashSet::new(), [9].into()),
            PresenceChange::Unchanged
        );
        assert_eq!(registry.remove(1, id1), PresenceChange::Unchanged);
        assert_eq!(registry.remove(1, id2), changed);
        assert!(!registry.is_online(1));
    }
}
