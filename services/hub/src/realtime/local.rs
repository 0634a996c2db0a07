//! This node's side of the bus: delivers envelopes to the connections here and applies control
//! events to the membership cache. Every bus feeds what reaches this node through [`Local`].

use std::sync::atomic::{AtomicU64, Ordering};

use super::{
    bus::{Audience, Control, Envelope},
    conn::{ConnHandle, ConnId, NodeId, Outbound, QueueLimits},
    membership::{InterestDelta, MembershipCache},
    registry::Registry,
};

/// The connections and memberships of one node.
#[derive(Debug)]
pub struct Local {
    node: NodeId,
    next_conn: AtomicU64,
    registry: Registry,
    membership: MembershipCache,
}

impl Local {
    pub fn new(node: NodeId) -> Self {
        Self {
            node,
            next_conn: AtomicU64::new(1),
            registry: Registry::default(),
            membership: MembershipCache::default(),
        }
    }

    pub fn node(&self) -> NodeId {
        self.node
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn membership(&self) -> &MembershipCache {
        &self.membership
    }

    /// A new connection of `user` on this node, with an id unique across the cluster.
    pub fn new_conn(&self, user: i64, limits: QueueLimits) -> (ConnHandle, Outbound) {
        let id = ConnId {
            node: self.node,
            local: self.next_conn.fetch_add(1, Ordering::Relaxed),
        };
        ConnHandle::new(id, user, limits)
    }

    /// Queues an envelope's frame on its recipients connected here.
    pub fn deliver(&self, envelope: &Envelope) {
        match &envelope.audience {
            Audience::Users(users) => {
                self.registry
                    .push_to_users(users, &envelope.frame, envelope.skip);
            }
            Audience::Group(group) => {
                let members = self.membership.local_members(*group);
                self.registry
                    .push_to_users(&members, &envelope.frame, envelope.skip);
            }
            Audience::Conn(conn) if conn.node == self.node => {
                self.registry
                    .push_to_conn(conn.local, envelope.frame.clone());
            }
            Audience::Conn(_) => {}
        }
    }

    /// Applies a control event here; returns what it did to this node's interest.
    pub fn apply(&self, event: Control) -> InterestDelta {
        self.membership.apply(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realtime::bus::Frame;
    use natter_db::memberships::Memberships;

    const LIMITS: QueueLimits = QueueLimits {
        frames: 8,
        bytes: 1 << 20,
    };

    fn member_of(local: &Local, user: i64, groups: &[i64]) -> Outbound {
        let (conn, rx) = local.new_conn(user, LIMITS);
        local.membership().hold(user);
        let loaded = Memberships {
            groups: groups.iter().copied().collect(),
            ..Memberships::default()
        };
        local.membership().fill(user, loaded);
        local.registry().add(conn);
        rx
    }

    #[test]
    fn group_fan_out_reaches_connected_members_only_once_each() {
        let local = Local::new(NodeId(9));
        let mut a = member_of(&local, 1, &[10]);
        let mut b = member_of(&local, 2, &[10]);
        let mut c = member_of(&local, 3, &[11]);
        local.deliver(&Envelope {
            audience: Audience::Group(10),
            frame: Frame::encode(&"hi"),
            skip: None,
        });
        assert!(a.try_recv().is_some() && a.try_recv().is_none());
        assert!(b.try_recv().is_some());
        assert!(c.try_recv().is_none());
    }

    #[test]
    fn a_frame_for_another_nodes_connection_is_not_delivered_here() {
        let local = Local::new(NodeId(9));
        let mut a = member_of(&local, 1, &[]);
        let elsewhere = ConnId {
            node: NodeId(8),
            local: 1,
        };
        local.deliver(&Envelope::to_conn(elsewhere, Frame::encode(&"ack")));
        assert!(a.try_recv().is_none());
        let here = ConnId {
            node: NodeId(9),
            local: 1,
        };
        local.deliver(&Envelope::to_conn(here, Frame::encode(&"ack")));
        assert!(a.try_recv().is_some());
    }
}
