//! The one way frames leave the realtime core: every frame for a user, a group or one connection is
//! an [`Envelope`] published on the [`Bus`], and every membership change is a [`Control`] event.
//!
//! [`InProcessBus`] hands both to this node's [`Local`] delivery. A cluster bus implements the same
//! trait: it maps each [`Audience`] to a subject (a user's, a group's, a node's for one connection),
//! sends control events to every node, and feeds what it receives to each node's [`Local`]; the
//! [`Interest`] a node has (the users and groups it delivers to) tells it what to subscribe to.

use std::sync::Arc;

use axum::extract::ws::{Message, Utf8Bytes};
use futures_util::future::{self, BoxFuture};

use super::{
    conn::{ConnId, NodeId},
    local::Local,
};

pub mod nats;

/// An encoded server frame: JSON text, built once, its bytes shared by every recipient (cloning it
/// is a reference-count increment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame(Utf8Bytes);

impl Frame {
    /// Serializes a server frame.
    pub fn encode(frame: &impl serde::Serialize) -> Self {
        let json = serde_json::to_string(frame).expect("server frames always serialize");
        Self(json.into())
    }

    /// Wraps bytes received from elsewhere (another node); fails unless they are UTF-8.
    pub fn from_bytes(bytes: bytes::Bytes) -> Result<Self, std::str::Utf8Error> {
        Utf8Bytes::try_from(bytes).map(Self)
    }

    /// The encoded bytes, to send to another node.
    pub fn to_bytes(&self) -> bytes::Bytes {
        self.0.clone().into()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the frame is empty (never, for a real frame).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The WebSocket text message carrying it.
    pub fn into_message(self) -> Message {
        Message::Text(self.0)
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// Who receives an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Every connection of these users, on every node.
    Users(Vec<i64>),
    /// Every connection of every member of the group, on every node.
    Group(i64),
    /// One connection (acks, refusals, answers, catch-up replay), on its node.
    Conn(ConnId),
}

/// An encoded frame and its audience.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub audience: Audience,
    pub frame: Frame,
    /// The connection that caused it (it got an ack instead): skipped.
    pub skip: Option<ConnId>,
}

impl Envelope {
    /// An envelope for one connection.
    pub fn to_conn(conn: ConnId, frame: Frame) -> Self {
        Self {
            audience: Audience::Conn(conn),
            frame,
            skip: None,
        }
    }
}

/// A change of the memberships that dispatch checks, made through the API; every node applies it
/// to its membership cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Control {
    /// `user` joined (`member: true`) or left a group.
    Group { user: i64, group: i64, member: bool },
    /// Two users became (`linked: true`) or stopped being contacts.
    Contact { a: i64, b: i64, linked: bool },
}

/// What a node delivers to, and so must receive: a cluster bus subscribes to each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Interest {
    /// A user with a connection on this node.
    User(i64),
    /// A group with a member connected to this node.
    Group(i64),
}

/// Why the bus could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// The broker cannot be reached.
    #[error("bus unavailable: {0}")]
    Unavailable(String),
}

/// Where envelopes and control events are published.
pub trait Bus: Send + Sync + 'static {
    /// The node this bus runs on; connection ids carry it.
    fn node(&self) -> NodeId;

    /// Delivers an envelope to its audience, wherever it is connected. Never waits: each
    /// connection's queue takes the frame or cuts the connection off.
    fn publish(&self, envelope: Envelope);

    /// Applies a membership change on this node at once, and on every other node soon after.
    fn control(&self, event: Control);

    /// This node began to deliver to `gained`: resolves once frames for them reach this node
    /// (a cluster bus subscribes and confirms the subscriptions).
    fn watch(&self, gained: Vec<Interest>) -> BoxFuture<'static, Result<(), BusError>>;

    /// This node no longer delivers to `lost` (a cluster bus may unsubscribe after a delay).
    fn unwatch(&self, lost: Vec<Interest>);
}

/// The bus of a single node: everything is delivered in this process.
pub struct InProcessBus {
    local: Arc<Local>,
}

impl InProcessBus {
    pub fn new(local: Arc<Local>) -> Self {
        Self { local }
    }
}

impl Bus for InProcessBus {
    fn node(&self) -> NodeId {
        self.local.node()
    }

    fn publish(&self, envelope: Envelope) {
        self.local.deliver(&envelope);
    }

    fn control(&self, event: Control) {
        // One node: interest changes need no subscriptions.
        drop(self.local.apply(event));
    }

    fn watch(&self, _gained: Vec<Interest>) -> BoxFuture<'static, Result<(), BusError>> {
        Box::pin(future::ready(Ok(())))
    }

    fn unwatch(&self, _lost: Vec<Interest>) {}
}
