//! The realtime core: who is online, how frames reach them, and how messages become durable.
//!
//! - [`registry`]: userid → Node (connections, groups, contacts) and the group member index.
//! - [`bus`]: the dispatch seam; in-process today, a cluster broker later.
//! - [`writer`]: the single group-commit writer; allocates seqs, stores batches, acks after commit.
//! - [`session`]: one WebSocket connection: reader loop, writer task, heartbeat, cleanup.
//! - [`dispatch`]: what each client command does (permission checks, typing, receipts, catch-up).

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
};

use axum::{Router, extract::ws::Message, routing::get};
use natter_db::Pool;
use natter_protocol::{PresenceFrame, cmd};
use tokio::task::JoinHandle;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{config::Config, state::AppState};

pub mod bus;
mod dispatch;
pub mod metrics;
pub mod registry;
mod session;
mod writer;

use bus::{Audience, Bus, Envelope, InProcessBus};
use registry::Registry;
use writer::WriterHandle;

/// Handle to the realtime core; cheap to clone.
#[derive(Clone)]
pub struct Realtime {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Arc<Registry>,
    bus: Arc<dyn Bus>,
    writer: WriterHandle,
    pool: Pool,
    config: Arc<Config>,
    /// Cancelled when the process begins to shut down: readers stop, the writer flushes.
    stopping: CancellationToken,
    /// Every live WebSocket session, so shutdown can wait for their close frames.
    sessions: TaskTracker,
    writer_task: Mutex<Option<JoinHandle<()>>>,
    /// Ids of users known to exist (users are never deleted), to spare a query per message.
    known_users: Mutex<HashSet<i64>>,
}

impl Realtime {
    /// Starts the writer task and returns the handle.
    pub fn start(pool: Pool, config: Arc<Config>) -> Self {
        metrics::register();
        let registry = Arc::new(Registry::default());
        let bus: Arc<dyn Bus> = Arc::new(InProcessBus::new(registry.clone()));
        let stopping = CancellationToken::new();
        let (writer, writer_task) = writer::spawn(
            pool.clone(),
            bus.clone(),
            config.commit_batch_max,
            stopping.clone(),
        );
        Self {
            inner: Arc::new(Inner {
                registry,
                bus,
                writer,
                pool,
                config,
                stopping,
                sessions: TaskTracker::new(),
                writer_task: Mutex::new(Some(writer_task)),
                known_users: Mutex::new(HashSet::new()),
            }),
        }
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
        self.inner.registry.clear();
        self.inner.sessions.close();
        self.inner.sessions.wait().await;
    }

    /// Whether the user has a live connection.
    pub fn is_online(&self, user: i64) -> bool {
        self.inner.registry.is_online(user)
    }

    /// Keeps the member index in step when a user joins a group.
    pub fn group_joined(&self, user: i64, group: i64) {
        self.inner.registry.join_group(user, group);
    }

    /// Keeps the member index in step when a user leaves a group.
    pub fn group_left(&self, user: i64, group: i64) {
        self.inner.registry.leave_group(user, group);
    }

    /// Two users became (or stopped being) contacts: update presence sets and tell each side
    /// whether the other is online.
    pub fn contacts_changed(&self, a: i64, b: i64, linked: bool) {
        self.inner.registry.set_contact(a, b, linked);
        if linked {
            for (to, about) in [(a, b), (b, a)] {
                let online = self.is_online(about);
                self.publish(
                    Audience::Users(vec![to]),
                    &presence_frame(about, online),
                    None,
                );
            }
        }
    }

    fn publish(
        &self,
        audience: Audience,
        frame: &impl serde::Serialize,
        skip: Option<registry::ConnId>,
    ) {
        self.inner.bus.publish(Envelope {
            audience,
            frame: encode(frame),
            skip,
        });
    }
}

/// Serializes a server frame once, as a WebSocket text message whose bytes recipients share.
pub fn encode(frame: &impl serde::Serialize) -> Message {
    let json = serde_json::to_string(frame).expect("server frames always serialize");
    Message::Text(json.into())
}

fn presence_frame(user: i64, online: bool) -> PresenceFrame {
    PresenceFrame {
        cmd: cmd::PRESENCE,
        userid: user,
        online,
    }
}

/// The WebSocket route: `GET /ws?token=...` (or `Authorization: Bearer`).
pub fn router() -> Router<AppState> {
    Router::new().route("/ws", get(session::upgrade))
}
