//! The cluster bus on NATS (`NATS_URL`): hub nodes deliver to each other's connections.
//!
//! Subjects (under `NATS_SUBJECT_PREFIX`): `<p>.u.<user>` for a user's connections,
//! `<p>.g.<group>` for a group's, `<p>.n.<node>` for one connection of that node (header
//! `Natter-Conn`), and `<p>.control` for membership changes. A node subscribes to a user's
//! subject while that user is connected to it and to a group's while one of its members is
//! (interest from the membership cache, one subscription per user or group, not per socket);
//! a subscription is confirmed (flushed) before the connection that needed it is admitted, and
//! dropped a second after the interest ends, so reconnects do not thrash.
//!
//! Every envelope is delivered to this node's connections at once and published once per subject
//! (a group message: once for the whole group); the connection is set `no_echo`, so a node never
//! receives what it published. Frames cross the broker as the already-encoded bytes; the
//! connection an envelope skips travels in the `Natter-Skip` header.
//!
//! Not yet here (issue 11, parts 2 and 3): seq-gap repair, presence as a union over nodes,
//! `/readyz` on the NATS connection, resubscription catch-up after an outage, and one writer per
//! conversation shard. Until then only one node may write a conversation.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use async_nats::{Client, ConnectOptions, HeaderMap, Message, Subscriber};
use futures_util::{StreamExt, future::BoxFuture};
use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, DropGuard};

use super::{Audience, Bus, BusError, Control, Envelope, Frame, Interest};
use crate::realtime::{
    conn::{ConnId, NodeId},
    local::Local,
    membership::InterestDelta,
};

/// How long a subscription outlives the interest that made it.
const UNWATCH_DELAY: Duration = Duration::from_secs(1);
/// How long an admission waits for a subscription another admission is confirming.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(5);
/// Publications waiting for the connection; beyond, cross-node frames are dropped (and counted).
const OUTGOING: usize = 64 * 1024;
/// Header naming the connection an envelope skips (`<node>-<counter>`).
const SKIP: &str = "Natter-Skip";
/// Header naming the connection (its counter) a node-addressed frame is for.
const CONN: &str = "Natter-Conn";

/// The NATS bus of one node.
pub struct NatsBus {
    shared: Arc<Shared>,
    /// Stops the node's background tasks when the bus is dropped.
    _stop: DropGuard,
}

struct Shared {
    local: Arc<Local>,
    client: Client,
    subjects: Subjects,
    outgoing: mpsc::Sender<Outgoing>,
    subs: Mutex<Subscriptions>,
    stop: CancellationToken,
}

#[derive(Default)]
struct Subscriptions {
    by_interest: HashMap<Interest, Sub>,
    /// Tells a subscription from a later one of the same interest.
    generation: u64,
}

struct Sub {
    watchers: usize,
    generation: u64,
    /// Cancelled once the subscription is confirmed by the server.
    confirmed: CancellationToken,
    /// Cancelled to stop reading (and so unsubscribe).
    reader: CancellationToken,
}

struct Outgoing {
    subject: String,
    headers: HeaderMap,
    payload: bytes::Bytes,
}

/// The subjects of one cluster.
struct Subjects {
    prefix: String,
}

impl Subjects {
    fn of(&self, interest: Interest) -> String {
        match interest {
            Interest::User(user) => format!("{}.u.{user}", self.prefix),
            Interest::Group(group) => format!("{}.g.{group}", self.prefix),
        }
    }

    fn node(&self, node: NodeId) -> String {
        format!("{}.n.{node}", self.prefix)
    }

    fn control(&self) -> String {
        format!("{}.control", self.prefix)
    }
}

fn unavailable(e: impl std::fmt::Display) -> BusError {
    BusError::Unavailable(e.to_string())
}

impl NatsBus {
    /// Connects to NATS and subscribes to this node's subject and to the control subject.
    pub async fn connect(url: &str, prefix: &str, local: Arc<Local>) -> Result<Self, BusError> {
        let node = local.node();
        let client = ConnectOptions::new()
            .no_echo()
            .name(format!("natter-hub {node}"))
            .connect(url)
            .await
            .map_err(unavailable)?;
        let subjects = Subjects {
            prefix: prefix.to_owned(),
        };
        let node_sub = client
            .subscribe(subjects.node(node))
            .await
            .map_err(unavailable)?;
        let control_sub = client
            .subscribe(subjects.control())
            .await
            .map_err(unavailable)?;
        client.flush().await.map_err(unavailable)?;
        let (outgoing, rx) = mpsc::channel(OUTGOING);
        let stop = CancellationToken::new();
        let shared = Arc::new(Shared {
            local,
            client,
            subjects,
            outgoing,
            subs: Mutex::new(Subscriptions::default()),
            stop: stop.clone(),
        });
        tokio::spawn(publish_loop(shared.client.clone(), rx, stop.clone()));
        tokio::spawn(read(
            shared.clone(),
            node_sub,
            stop.clone(),
            Shared::on_conn,
        ));
        tokio::spawn(read(
            shared.clone(),
            control_sub,
            stop.clone(),
            Shared::on_control,
        ));
        tracing::info!(%node, url, prefix, "connected to the NATS bus");
        Ok(Self {
            shared,
            _stop: stop.drop_guard(),
        })
    }
}

impl Bus for NatsBus {
    fn node(&self) -> NodeId {
        self.shared.local.node()
    }

    fn publish(&self, envelope: Envelope) {
        let shared = &self.shared;
        shared.local.deliver(&envelope);
        let mut headers = HeaderMap::new();
        if let Some(skip) = envelope.skip {
            headers.insert(SKIP, skip.to_string());
        }
        let payload = envelope.frame.to_bytes();
        match envelope.audience {
            Audience::Users(users) => {
                for user in users {
                    let subject = shared.subjects.of(Interest::User(user));
                    shared.send(subject, headers.clone(), payload.clone());
                }
            }
            Audience::Group(group) => {
                shared.send(shared.subjects.of(Interest::Group(group)), headers, payload);
            }
            Audience::Conn(conn) if conn.node == shared.local.node() => {}
            Audience::Conn(conn) => {
                headers.insert(CONN, conn.local.to_string());
                shared.send(shared.subjects.node(conn.node), headers, payload);
            }
        }
    }

    fn control(&self, event: Control) {
        let shared = &self.shared;
        shared.apply_delta(shared.local.apply(event));
        let payload = serde_json::to_vec(&event).expect("control events serialize");
        shared.send(shared.subjects.control(), HeaderMap::new(), payload.into());
    }

    fn watch(&self, gained: Vec<Interest>) -> BoxFuture<'static, Result<(), BusError>> {
        let shared = self.shared.clone();
        Box::pin(async move { shared.watch(gained).await })
    }

    fn unwatch(&self, lost: Vec<Interest>) {
        self.shared.unwatch(lost);
    }
}

impl Shared {
    /// Queues a publication; drops it (counted) when the connection is that far behind.
    fn send(&self, subject: String, headers: HeaderMap, payload: bytes::Bytes) {
        let outgoing = Outgoing {
            subject,
            headers,
            payload,
        };
        if self.outgoing.try_send(outgoing).is_err() {
            crate::realtime::metrics::bus_dropped();
            tracing::warn!("NATS publications are backed up; a cross-node frame was dropped");
        }
    }

    /// Subscribes to what is new in `gained` (and counts what is already subscribed); resolves
    /// once every one of them is confirmed by the server.
    async fn watch(self: &Arc<Self>, gained: Vec<Interest>) -> Result<(), BusError> {
        let mut fresh = Vec::new();
        let mut pending = Vec::new();
        {
            let mut subs = self.subs.lock().expect("subscriptions lock");
            for interest in gained {
                if let Some(sub) = subs.by_interest.get_mut(&interest) {
                    sub.watchers += 1;
                    pending.push(sub.confirmed.clone());
                    continue;
                }
                subs.generation += 1;
                let sub = Sub {
                    watchers: 1,
                    generation: subs.generation,
                    confirmed: CancellationToken::new(),
                    reader: self.stop.child_token(),
                };
                fresh.push((interest, sub.confirmed.clone(), sub.reader.clone()));
                subs.by_interest.insert(interest, sub);
            }
        }
        let result = self.subscribe(&fresh).await;
        // Waiters on these go on either way; on failure the admission fails and unwatches.
        for (_, confirmed, _) in &fresh {
            confirmed.cancel();
        }
        result?;
        for confirmed in pending {
            tokio::time::timeout(CONFIRM_TIMEOUT, confirmed.cancelled())
                .await
                .map_err(|_| BusError::Unavailable("subscription not confirmed".into()))?;
        }
        Ok(())
    }

    async fn subscribe(
        self: &Arc<Self>,
        fresh: &[(Interest, CancellationToken, CancellationToken)],
    ) -> Result<(), BusError> {
        if fresh.is_empty() {
            return Ok(());
        }
        for (interest, _, reader) in fresh {
            let subscriber = self
                .client
                .subscribe(self.subjects.of(*interest))
                .await
                .map_err(unavailable)?;
            let interest = *interest;
            let on_message = move |shared: &Arc<Shared>, message: Message| {
                shared.on_interest(interest, message);
            };
            tokio::spawn(read(self.clone(), subscriber, reader.clone(), on_message));
        }
        self.client.flush().await.map_err(unavailable)
    }

    /// Counts the interests down; those no one watches any more are unsubscribed after a delay
    /// (unless watched again meanwhile).
    fn unwatch(self: &Arc<Self>, lost: Vec<Interest>) {
        let mut expired = Vec::new();
        {
            let mut subs = self.subs.lock().expect("subscriptions lock");
            for interest in lost {
                if let Some(sub) = subs.by_interest.get_mut(&interest) {
                    sub.watchers = sub.watchers.saturating_sub(1);
                    if sub.watchers == 0 {
                        expired.push((interest, sub.generation));
                    }
                }
            }
        }
        if expired.is_empty() {
            return;
        }
        let shared = self.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = tokio::time::sleep(UNWATCH_DELAY) => {}
                () = shared.stop.cancelled() => return,
            }
            let mut subs = shared.subs.lock().expect("subscriptions lock");
            for (interest, generation) in expired {
                let unwatched = subs
                    .by_interest
                    .get(&interest)
                    .is_some_and(|s| s.watchers == 0 && s.generation == generation);
                if unwatched && let Some(sub) = subs.by_interest.remove(&interest) {
                    sub.reader.cancel();
                }
            }
        });
    }

    /// Subscribes and unsubscribes as a control event changed this node's interest.
    fn apply_delta(self: &Arc<Self>, delta: InterestDelta) {
        if !delta.gained.is_empty() {
            let shared = self.clone();
            tokio::spawn(async move {
                if let Err(e) = shared.watch(delta.gained).await {
                    tracing::warn!(error = %e, "could not subscribe after a membership change");
                }
            });
        }
        if !delta.lost.is_empty() {
            self.unwatch(delta.lost);
        }
    }

    fn on_interest(&self, interest: Interest, message: Message) {
        let Some(frame) = frame_of(&message) else {
            return;
        };
        let skip = header(&message, SKIP).and_then(|v| v.parse::<ConnId>().ok());
        let audience = match interest {
            Interest::User(user) => Audience::Users(vec![user]),
            Interest::Group(group) => Audience::Group(group),
        };
        self.local.deliver(&Envelope {
            audience,
            frame,
            skip,
        });
    }

    fn on_conn(self: &Arc<Self>, message: Message) {
        let Some(frame) = frame_of(&message) else {
            return;
        };
        let Some(local) = header(&message, CONN).and_then(|v| v.parse().ok()) else {
            tracing::warn!("a node-addressed frame without its connection");
            return;
        };
        let conn = ConnId {
            node: self.local.node(),
            local,
        };
        self.local.deliver(&Envelope::to_conn(conn, frame));
    }

    fn on_control(self: &Arc<Self>, message: Message) {
        match serde_json::from_slice::<Control>(&message.payload) {
            Ok(event) => self.apply_delta(self.local.apply(event)),
            Err(e) => tracing::warn!(error = %e, "an unreadable control event"),
        }
    }
}

fn frame_of(message: &Message) -> Option<Frame> {
    match Frame::from_bytes(message.payload.clone()) {
        Ok(frame) => Some(frame),
        Err(e) => {
            tracing::warn!(error = %e, subject = %message.subject, "a frame that is not UTF-8");
            None
        }
    }
}

fn header<'a>(message: &'a Message, name: &str) -> Option<&'a str> {
    message
        .headers
        .as_ref()
        .and_then(|h| h.get(name))
        .map(|v| v.as_str())
}

/// Hands every message of a subscription to `on_message` until `stop` (then unsubscribes).
async fn read<F>(
    shared: Arc<Shared>,
    mut subscriber: Subscriber,
    stop: CancellationToken,
    on_message: F,
) where
    F: Fn(&Arc<Shared>, Message) + Send + 'static,
{
    loop {
        let message = tokio::select! {
            () = stop.cancelled() => break,
            next = subscriber.next() => match next {
                Some(message) => message,
                None => break,
            },
        };
        on_message(&shared, message);
    }
    let _ = subscriber.unsubscribe().await;
}

/// Publishes queued envelopes in order (one publisher per node keeps each conversation's order).
async fn publish_loop(client: Client, mut rx: mpsc::Receiver<Outgoing>, stop: CancellationToken) {
    loop {
        let next = tokio::select! {
            () = stop.cancelled() => break,
            next = rx.recv() => next,
        };
        let Some(out) = next else { break };
        let result = if out.headers.is_empty() {
            client.publish(out.subject, out.payload).await
        } else {
            client
                .publish_with_headers(out.subject, out.headers, out.payload)
                .await
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "NATS publish failed");
        }
    }
}
