//! The dispatch seam: every frame bound for users goes through a [`Bus`].
//!
//! [`InProcessBus`] delivers to this process's registry. A cluster broker (NATS, Redis, ...) would
//! implement the same trait, publishing envelopes to other hub processes, without touching handlers.

use std::sync::Arc;

use axum::extract::ws::Message;

use super::registry::{ConnId, Registry};

/// Who receives an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Every connection of these users.
    Users(Vec<i64>),
    /// Every online member of the group.
    Group(i64),
}

/// A serialized frame and its audience. The frame is built once; every recipient shares its bytes.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub audience: Audience,
    pub frame: Message,
    /// The connection that caused it (it got an ack instead), skipped.
    pub skip: Option<ConnId>,
}

/// Where envelopes are published.
pub trait Bus: Send + Sync + 'static {
    fn publish(&self, envelope: Envelope);
}

/// Delivers envelopes to the connections of this process.
pub struct InProcessBus {
    registry: Arc<Registry>,
}

impl InProcessBus {
    pub fn new(registry: Arc<Registry>) -> Self {
        Self { registry }
    }
}

impl Bus for InProcessBus {
    fn publish(&self, envelope: Envelope) {
        match envelope.audience {
            Audience::Users(users) => {
                for user in users {
                    self.registry
                        .send_to_user(user, &envelope.frame, envelope.skip);
                }
            }
            Audience::Group(group) => {
                self.registry
                    .send_to_group(group, &envelope.frame, envelope.skip)
            }
        }
    }
}
