//! One connection's sending side: its id, its bounded outbound queue and the switch that closes it.
//!
//! The queue is bounded twice, in frames and in bytes (frames can be 16 KiB), so a client that does
//! not read pins little memory before it is cut off. [`ConnHandle::push`] never waits; a
//! replay that must not overflow the queue waits for room with [`ConnHandle::room`] instead.

use std::{
    fmt,
    hash::{Hash, Hasher},
    str::FromStr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use tokio::sync::{Notify, mpsc, mpsc::error::TrySendError};
use tokio_util::sync::CancellationToken;

use super::{bus::Frame, metrics};

/// Names one hub node (process) of a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeId(pub u64);

impl NodeId {
    /// A random node id, drawn at start.
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4().as_u64_pair().0)
    }

    /// The id of a node named by `HUB_NODE_ID`: the name itself when it is 1 to 16 hex digits,
    /// else a hash of it (the same for every node of one build).
    pub fn named(name: &str) -> Self {
        if (1..=16).contains(&name.len())
            && let Ok(id) = u64::from_str_radix(name, 16)
        {
            return Self(id);
        }
        let mut hasher = std::hash::DefaultHasher::new();
        name.hash(&mut hasher);
        Self(hasher.finish())
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// Identifies one WebSocket connection across the cluster: its node and a counter of that node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnId {
    pub node: NodeId,
    pub local: u64,
}

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.node, self.local)
    }
}

/// A connection id that is not `<node in hex>-<counter>`.
#[derive(Debug, thiserror::Error)]
#[error("not a connection id")]
pub struct BadConnId;

impl FromStr for ConnId {
    type Err = BadConnId;

    /// Reads what [`ConnId`]'s `Display` wrote.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (node, local) = s.split_once('-').ok_or(BadConnId)?;
        Ok(Self {
            node: NodeId(u64::from_str_radix(node, 16).map_err(|_| BadConnId)?),
            local: local.parse().map_err(|_| BadConnId)?,
        })
    }
}

/// How much one connection's outbound queue may hold.
#[derive(Debug, Clone, Copy)]
pub struct QueueLimits {
    pub frames: usize,
    pub bytes: usize,
}

/// The sending side of one connection; cheap to clone.
#[derive(Clone, Debug)]
pub struct ConnHandle {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    id: ConnId,
    user: i64,
    /// The queue closes when the last handle is dropped.
    queue: mpsc::Sender<Frame>,
    limits: QueueLimits,
    fill: Arc<Fill>,
    kill: CancellationToken,
}

/// How full the queue is, shared with its receiving end.
#[derive(Debug, Default)]
struct Fill {
    /// Bytes of the frames queued and not yet taken by the socket's writer task.
    queued: AtomicUsize,
    /// Signalled by the writer task each time it has taken frames off the queue.
    drained: Notify,
}

/// Room a replay waits for before queuing more: at most this many bytes queued...
const REPLAY_BYTES: usize = 256 * 1024;

impl ConnHandle {
    /// Makes a handle and the receiving end of its queue.
    pub fn new(id: ConnId, user: i64, limits: QueueLimits) -> (Self, Outbound) {
        let (queue, rx) = mpsc::channel(limits.frames.max(1));
        let fill = Arc::new(Fill::default());
        let shared = Arc::new(Shared {
            id,
            user,
            queue,
            limits,
            fill: fill.clone(),
            kill: CancellationToken::new(),
        });
        (Self { shared }, Outbound { rx, fill })
    }

    pub fn id(&self) -> ConnId {
        self.shared.id
    }

    pub fn user(&self) -> i64 {
        self.shared.user
    }

    /// Queues a frame without waiting. A connection whose queue is full (in frames or in bytes)
    /// has fallen too far behind: it is disconnected (it catches up with cmd 30 when it returns).
    pub fn push(&self, frame: Frame) {
        let shared = &*self.shared;
        let queued = &shared.fill.queued;
        let len = frame.len();
        let before = queued.fetch_add(len, Ordering::Relaxed);
        if before + len > shared.limits.bytes && before > 0 {
            queued.fetch_sub(len, Ordering::Relaxed);
            self.cut_off("outbound queue over its byte limit");
            return;
        }
        match shared.queue.try_send(frame) {
            Ok(()) => metrics::frame_queued(len),
            Err(e) => {
                queued.fetch_sub(len, Ordering::Relaxed);
                if let TrySendError::Full(_) = e {
                    self.cut_off("outbound queue full");
                }
            }
        }
    }

    /// Waits until the queue has room for a replay (a quarter of its frames free and at most
    /// 256 KiB queued, or half the byte limit if that is lower). False when the connection closed
    /// or `stop` fired first.
    pub async fn room(&self, stop: &CancellationToken) -> bool {
        let shared = &*self.shared;
        let bytes = REPLAY_BYTES.min(shared.limits.bytes / 2);
        let frames = shared.limits.frames / 4;
        loop {
            if shared.kill.is_cancelled() || stop.is_cancelled() {
                return false;
            }
            let free = shared.queue.capacity();
            if shared.fill.queued.load(Ordering::Relaxed) <= bytes && free >= frames.max(1) {
                return true;
            }
            tokio::select! {
                () = shared.fill.drained.notified() => {}
                () = shared.kill.cancelled() => return false,
                () = stop.cancelled() => return false,
            }
        }
    }

    /// Cancelled when the connection must close (too slow, or gone).
    pub fn killed(&self) -> &CancellationToken {
        &self.shared.kill
    }

    fn cut_off(&self, why: &'static str) {
        if !self.shared.kill.is_cancelled() {
            metrics::queue_drop();
            tracing::warn!(conn = %self.id(), user = self.user(), why, "disconnecting a slow connection");
            self.shared.kill.cancel();
        }
    }
}

/// The receiving end of a connection's queue, owned by its socket's writer task.
#[derive(Debug)]
pub struct Outbound {
    rx: mpsc::Receiver<Frame>,
    fill: Arc<Fill>,
}

impl Outbound {
    /// The next frame; None once every handle is dropped and the queue is empty.
    pub async fn recv(&mut self) -> Option<Frame> {
        let frame = self.rx.recv().await;
        if let Some(frame) = &frame {
            self.taken(frame.len());
        }
        frame
    }

    /// The next frame if one is queued.
    pub fn try_recv(&mut self) -> Option<Frame> {
        let frame = self.rx.try_recv().ok();
        if let Some(frame) = &frame {
            self.taken(frame.len());
        }
        frame
    }

    /// Tells a waiting replay that frames were taken off the queue.
    pub fn signal_drained(&self) {
        self.fill.drained.notify_one();
    }

    fn taken(&self, len: usize) {
        self.fill.queued.fetch_sub(len, Ordering::Relaxed);
        metrics::frame_dequeued(len);
    }
}

impl Drop for Outbound {
    /// Frames left in the queue are dropped with it: take them off the queued-bytes gauge.
    fn drop(&mut self) {
        self.rx.close();
        while self.try_recv().is_some() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(frames: usize, bytes: usize) -> (ConnHandle, Outbound) {
        let id = ConnId {
            node: NodeId(1),
            local: 1,
        };
        ConnHandle::new(id, 7, QueueLimits { frames, bytes })
    }

    #[test]
    fn a_connection_id_reads_back_what_it_wrote() {
        let id = ConnId {
            node: NodeId::named("hub-a"),
            local: 42,
        };
        assert_eq!(id.to_string().parse::<ConnId>().ok(), Some(id));
        assert_eq!(NodeId::named("00ff").0, 255);
        assert!("x-1".parse::<ConnId>().is_err());
    }

    #[test]
    fn a_queue_over_its_byte_limit_cuts_the_connection_off() {
        let (conn, mut out) = conn(100, 10);
        conn.push(Frame::encode(&"abcdef")); // 8 bytes of JSON
        assert!(!conn.killed().is_cancelled());
        conn.push(Frame::encode(&"abc"));
        assert!(conn.killed().is_cancelled(), "8 + 5 bytes > 10");
        assert_eq!(out.try_recv().map(|f| f.len()), Some(8));
        assert!(out.try_recv().is_none());
    }

    #[test]
    fn one_frame_larger_than_the_byte_limit_still_goes_into_an_empty_queue() {
        let (conn, mut out) = conn(100, 4);
        conn.push(Frame::encode(&"a long frame"));
        assert!(!conn.killed().is_cancelled());
        assert!(out.try_recv().is_some());
    }

    #[tokio::test]
    async fn room_waits_for_the_writer_to_drain() {
        let (conn, mut out) = conn(4, 1 << 20);
        for _ in 0..4 {
            conn.push(Frame::encode(&1));
        }
        let stop = CancellationToken::new();
        let waiting = tokio::spawn({
            let conn = conn.clone();
            let stop = stop.clone();
            async move { conn.room(&stop).await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "the queue is full");
        assert!(out.try_recv().is_some());
        out.signal_drained();
        assert!(waiting.await.expect("room task"));
    }
}
