//! The realtime core: who is connected, how frames reach them, and how messages become durable.
//!
//! - [`bus`]: the one way out: envelopes for users, groups or one connection, and control events.
//! - [`local`]: this node's side of the bus: the [`registry`] of connections (a delivery index)
//!   and the [`membership`] cache (groups and contacts of the users connected here).
//! - [`conn`]: one connection's ids and its outbound queue, bounded in frames and bytes.
//! - [`writer`]: the single group-commit writer; allocates seqs, stores batches, acks after commit.
//! - [`session`]: one WebSocket connection: reader loop, writer task, heartbeat, cleanup.
//! - [`dispatch`]: what each client command does (permission checks, typing, receipts);
//!   [`catch_up`] replays what a client missed.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
};

use axum::{Router, extract::FromRef, routing::get};
use natter_common::TokenKeys;
use natter_db::{DbError, Pool, PoolError, memberships};
use natter_protocol::{FrameError, PresenceFrame, cmd};
use tokio::task::JoinHandle;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::config::Config;

pub mod bus;
mod catch_up;
pub mod conn;
mod dispatch;
pub mod local;
pub mod membership;
pub mod metrics;
pub mod registry;
mod session;
mod writer;

use bus::{Audience, Bus, BusError, Control, Envelope, Frame, InProcessBus, nats::NatsBus};
use conn::{ConnHandle, ConnId, NodeId, Outbound, QueueLimits};
use local::Local;
use writer::{Submission, WriterHandle};

/// Handle to the realtime core; cheap to clone.
#[derive(Clone)]
pub struct Realtime {
    inner: Arc<Inner>,
}

struct Inner {
    local: Arc<Local>,
    bus: Arc<dyn Bus>,
    writer: WriterHandle,
    pool: Pool,
    config: Arc<Config>,
    /// Cancelled when the process begins to shut down: readers stop, the writer flushes.
    stopping: CancellationToken,
    /// Cancelled once the writer has committed and answered everything: sessions may close.
    flushed: CancellationToken,
    /// Every live WebSocket session, so shutdown can wait for their close frames.
    sessions: TaskTracker,
    writer_task: Mutex<Option<JoinHandle<()>>>,
    /// Ids of users known to exist (users are never deleted), to spare a query per message.
    known_users: Mutex<HashSet<i64>>,
}

/// Why a connection could not be admitted.
#[derive(Debug, thiserror::Error)]
pub enum AdmitError {
    #[error("the hub is shutting down")]
    Stopping,
    /// The token is valid but names no account.
    #[error("no such account")]
    UnknownAccount,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Bus(#[from] BusError),
}

impl From<PoolError> for AdmitError {
    fn from(e: PoolError) -> Self {
        Self::Db(e.into())
    }
}

/// A user admitted to this node: their memberships are cached (and the bus delivers to them here)
/// until the last admission of that user is dropped.
pub struct Admission {
    realtime: Realtime,
    user: i64,
}

impl Admission {
    pub fn user(&self) -> i64 {
        self.user
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        let inner = &self.realtime.inner;
        let lost = inner.local.membership().release(self.user);
        if !lost.is_empty() {
            inner.bus.unwatch(lost);
        }
    }
}

impl Realtime {
    /// Connects the bus (NATS when `NATS_URL` is set, else in-process), starts the writer task and
    /// returns the handle.
    pub async fn start(pool: Pool, config: Arc<Config>) -> Result<Self, BusError> {
        metrics::register();
        let node = config
            .node_id
            .as_deref()
            .map_or_else(NodeId::random, NodeId::named);
        let local = Arc::new(Local::new(node));
        let bus: Arc<dyn Bus> = match &config.nats_url {
            Some(url) => {
                tracing::warn!(
                    "cluster mode is a first step: only one node may write each conversation \
                     until conversations are sharded over the nodes"
                );
                let prefix = &config.nats_subject_prefix;
                Arc::new(NatsBus::connect(url, prefix, local.clone()).await?)
            }
            None => Arc::new(InProcessBus::new(local.clone())),
        };
        let stopping = CancellationToken::new();
        let (writer, writer_task) = writer::spawn(
            pool.clone(),
            bus.clone(),
            config.commit_batch_max,
            stopping.clone(),
        );
        Ok(Self {
            inner: Arc::new(Inner {
                local,
                bus,
                writer,
                pool,
                config,
                stopping,
                flushed: CancellationToken::new(),
                sessions: TaskTracker::new(),
                writer_task: Mutex::new(Some(writer_task)),
                known_users: Mutex::new(HashSet::new()),
            }),
        })
    }

    /// Cancelled once shutdown has begun.
    pub fn stopping(&self) -> CancellationToken {
        self.inner.stopping.clone()
    }

    /// Graceful shutdown: stop reading, commit and ack everything already submitted, then close
    /// every socket with a close frame once its queue is flushed.
    pub async fn shutdown(&self) {
        self.inner.stopping.cancel();
        let writer_task = self
            .inner
            .writer_task
            .lock()
            .expect("writer task lock")
            .take();
        if let Some(task) = writer_task
            && let Err(e) = task.await
        {
            tracing::error!(error = %e, "writer task failed");
        }
        self.inner.flushed.cancel();
        self.inner.sessions.close();
        self.inner.sessions.wait().await;
    }

    /// Whether the user has a live connection.
    pub fn is_online(&self, user: i64) -> bool {
        self.inner.local.registry().is_online(user)
    }

    /// A user joined a group (through the API): every node's membership cache learns it.
    pub fn group_joined(&self, user: i64, group: i64) {
        self.inner.bus.control(Control::Group {
            user,
            group,
            member: true,
        });
    }

    /// A user left a group (through the API): every node's membership cache learns it.
    pub fn group_left(&self, user: i64, group: i64) {
        self.inner.bus.control(Control::Group {
            user,
            group,
            member: false,
        });
    }

    /// Two users became (or stopped being) contacts: every node's membership cache learns it, and
    /// new contacts are told whether the other is online.
    pub fn contacts_changed(&self, a: i64, b: i64, linked: bool) {
        self.inner.bus.control(Control::Contact { a, b, linked });
        if linked {
            for (to, about) in [(a, b), (b, a)] {
                let online = self.is_online(about);
                self.send(
                    Audience::Users(vec![to]),
                    &presence_frame(about, online),
                    None,
                );
            }
        }
    }

    /// Admits a user's connection: holds their memberships in the cache, loads them from
    /// PostgreSQL, and has the bus deliver to them here before it returns.
    pub(crate) async fn admit(&self, user: i64) -> Result<Admission, AdmitError> {
        if self.inner.stopping.is_cancelled() {
            return Err(AdmitError::Stopping);
        }
        let membership = self.inner.local.membership();
        let mut gained = membership.hold(user);
        let admission = Admission {
            realtime: self.clone(),
            user,
        };
        let client = self.inner.pool.get().await?;
        let found = memberships::of_user(&client, user)
            .await?
            .ok_or(AdmitError::UnknownAccount)?;
        drop(client);
        gained.extend(membership.fill(user, found));
        self.inner.bus.watch(gained).await?;
        Ok(admission)
    }

    /// Registers a new connection of an admitted user; contacts learn when the user comes online.
    fn connect(&self, admission: &Admission) -> (ConnHandle, Outbound) {
        let config = &self.inner.config;
        let limits = QueueLimits {
            frames: config.outbound_queue,
            bytes: config.outbound_queue_bytes,
        };
        let (conn, outbound) = self.inner.local.new_conn(admission.user, limits);
        if self.inner.local.registry().add(conn.clone()) {
            self.announce(admission.user, true);
        }
        (conn, outbound)
    }

    /// Removes a connection; contacts learn when the user's last one is gone.
    fn disconnect(&self, conn: &ConnHandle) {
        if self.inner.local.registry().remove(conn.user(), conn.id()) {
            self.announce(conn.user(), false);
        }
    }

    fn announce(&self, user: i64, online: bool) {
        let contacts = self.inner.local.membership().contacts(user);
        if !contacts.is_empty() {
            self.send(
                Audience::Users(contacts),
                &presence_frame(user, online),
                None,
            );
        }
    }

    /// Publishes a frame to an audience, skipping one connection.
    fn send(&self, audience: Audience, frame: &impl serde::Serialize, skip: Option<ConnId>) {
        self.inner.bus.publish(Envelope {
            audience,
            frame: Frame::encode(frame),
            skip,
        });
    }

    /// Publishes an encoded frame to one connection.
    fn reply(&self, conn: ConnId, frame: Frame) {
        self.inner.bus.publish(Envelope::to_conn(conn, frame));
    }

    /// Hands a validated message to the writer.
    async fn submit(&self, submission: Submission) -> Result<(), FrameError> {
        self.inner.writer.submit(submission).await
    }

    /// Whether a user connected here belongs to the group, from the membership cache.
    fn in_group(&self, user: i64, group: i64) -> bool {
        self.inner.local.membership().in_group(user, group)
    }

    fn knows_user(&self, user: i64) -> bool {
        self.inner
            .known_users
            .lock()
            .expect("known users lock")
            .contains(&user)
    }

    /// Users are never deleted while the hub runs, so a user once found can be remembered.
    fn remember_user(&self, user: i64) {
        self.inner
            .known_users
            .lock()
            .expect("known users lock")
            .insert(user);
    }

    fn config(&self) -> &Config {
        &self.inner.config
    }

    fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    /// Cancelled once the writer has flushed during shutdown.
    fn flushed(&self) -> &CancellationToken {
        &self.inner.flushed
    }

    fn sessions(&self) -> &TaskTracker {
        &self.inner.sessions
    }
}

fn presence_frame(user: i64, online: bool) -> PresenceFrame {
    PresenceFrame {
        cmd: cmd::PRESENCE,
        userid: user,
        online,
    }
}

/// The WebSocket route, `GET /ws?token=...` (or `Authorization: Bearer`), for any router state
/// that holds the realtime core, the token keys and the connection caps.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Realtime: FromRef<S>,
    TokenKeys: FromRef<S>,
    crate::guards::Guards: FromRef<S>,
{
    Router::new().route("/ws", get(session::upgrade))
}
