//! The group-commit writer: the one task that makes messages durable.
//!
//! Sessions submit validated messages; the writer takes everything queued (up to a batch limit),
//! resolves conversations, and stores the batch with one statement: one round trip and one
//! transaction that answers retried `cid`s with their first place and numbers the rest with
//! gap-free seqs counted on from the writer's in-memory counters. Only after the commit does it ack
//! each sender and publish each message to the bus. Being the only writer is what makes the
//! in-memory seq counters safe; a clustered hub would shard conversations across writers.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::Instant,
};

use natter_db::{
    DbResult, Pool, conversations, messages,
    messages::{NewMessage, Placed},
};
use natter_protocol::{Ack, ChatMessage, ErrorFrame, FrameError, OutgoingMessage, Target, cmd};
use tokio::{sync::mpsc, task::JoinHandle};
use tokio_util::sync::CancellationToken;

use super::{
    bus::{Audience, Bus, Envelope},
    encode, metrics,
    registry::ConnHandle,
};

/// Messages waiting for the writer; senders wait (back-pressure) when it is full.
const QUEUE_CAPACITY: usize = 16 * 1024;

/// A message validated by its session, to be stored and delivered.
#[derive(Debug)]
pub struct Submission {
    pub sender: i64,
    /// The connection that sent it: it gets the ack (or the error).
    pub origin: ConnHandle,
    pub message: OutgoingMessage,
    pub media_id: Option<uuid::Uuid>,
}

/// Where sessions submit messages.
#[derive(Clone, Debug)]
pub struct WriterHandle {
    queue: mpsc::Sender<Submission>,
}

impl WriterHandle {
    /// Queues a message; waits while the writer is saturated. Fails once the writer has stopped.
    pub async fn submit(&self, submission: Submission) -> Result<(), FrameError> {
        self.queue
            .send(submission)
            .await
            .map_err(|_| FrameError::Unavailable)
    }
}

/// Starts the writer; it stops after `stopping` is cancelled and everything queued is committed.
pub fn spawn(
    pool: Pool,
    bus: Arc<dyn Bus>,
    batch_max: usize,
    stopping: CancellationToken,
) -> (WriterHandle, JoinHandle<()>) {
    let (queue, rx) = mpsc::channel(QUEUE_CAPACITY);
    let writer = Writer {
        pool,
        bus,
        batch_max: batch_max.max(1),
        last_seq: HashMap::new(),
        convs: HashMap::new(),
    };
    (
        WriterHandle { queue },
        tokio::spawn(writer.run(rx, stopping)),
    )
}

/// A conversation as the writer keys it before its id is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ConvKey {
    Direct(i64, i64),
    Group(i64),
}

impl ConvKey {
    fn of(sender: i64, target: Target) -> Self {
        match target {
            Target::User(to) => Self::Direct(sender.min(to), sender.max(to)),
            Target::Group(group) => Self::Group(group),
        }
    }
}

struct Writer {
    pool: Pool,
    bus: Arc<dyn Bus>,
    batch_max: usize,
    /// conversation id → seq of its newest committed message.
    last_seq: HashMap<i64, i64>,
    /// pair or group → conversation id (never changes once made).
    convs: HashMap<ConvKey, i64>,
}

/// A submission with its conversation resolved.
struct Pending {
    submission: Submission,
    conv: i64,
}

impl Writer {
    async fn run(mut self, mut rx: mpsc::Receiver<Submission>, stopping: CancellationToken) {
        loop {
            let first = tokio::select! {
                biased;
                () = stopping.cancelled() => break,
                next = rx.recv() => match next {
                    Some(s) => s,
                    None => break,
                },
            };
            let batch = self.fill_batch(first, &mut rx);
            self.commit(batch).await;
        }
        rx.close();
        while let Some(first) = rx.recv().await {
            let batch = self.fill_batch(first, &mut rx);
            self.commit(batch).await;
        }
        tracing::info!("writer flushed and stopped");
    }

    fn fill_batch(
        &self,
        first: Submission,
        rx: &mut mpsc::Receiver<Submission>,
    ) -> Vec<Submission> {
        let mut batch = vec![first];
        while batch.len() < self.batch_max {
            match rx.try_recv() {
                Ok(s) => batch.push(s),
                Err(_) => break,
            }
        }
        batch
    }

    async fn commit(&mut self, batch: Vec<Submission>) {
        let started = Instant::now();
        let size = batch.len();
        match self.try_commit(batch).await {
            Ok(()) => metrics::commit(size, started.elapsed()),
            Err((e, failed)) => {
                metrics::commit_failed();
                tracing::error!(error = %e, messages = failed.len(), "commit failed; senders will retry");
                // The counters may be ahead of what is stored: reload them on next use.
                self.last_seq.clear();
                for submission in failed {
                    reject(&submission, &FrameError::Unavailable);
                }
            }
        }
    }

    async fn try_commit(
        &mut self,
        batch: Vec<Submission>,
    ) -> Result<(), (natter_db::DbError, Vec<Submission>)> {
        let pending = self.resolve(batch).await?;
        let (unique, echoes) = split_echoes(pending);
        let rows: Vec<NewMessage> = unique.iter().map(new_message).collect();
        let placed = match self.store(&rows).await {
            Ok(placed) => placed,
            Err(e) => {
                let mut failed: Vec<Submission> =
                    unique.into_iter().map(|p| p.submission).collect();
                failed.extend(echoes);
                return Err((e, failed));
            }
        };
        let by_cid: HashMap<(i64, &str), Placed> = rows
            .iter()
            .zip(&placed)
            .map(|(row, place)| ((row.sender, row.cid.as_str()), *place))
            .collect();
        for echo in &echoes {
            ack(echo, by_cid[&(echo.sender, echo.message.cid.as_str())]);
        }
        let mut stored = 0;
        for ((pending, row), place) in unique.into_iter().zip(rows).zip(placed) {
            if place.retried {
                ack(&pending.submission, place);
            } else {
                stored += 1;
                self.deliver(pending.submission, row, place);
            }
        }
        metrics::messages_stored(stored);
        Ok(())
    }

    /// Finds (or creates) the conversation of every submission.
    async fn resolve(
        &mut self,
        batch: Vec<Submission>,
    ) -> Result<Vec<Pending>, (natter_db::DbError, Vec<Submission>)> {
        let missing: HashSet<ConvKey> = batch
            .iter()
            .map(|s| ConvKey::of(s.sender, s.message.target))
            .filter(|key| !self.convs.contains_key(key))
            .collect();
        if let Err(e) = self.load_convs(missing).await {
            return Err((e, batch));
        }
        Ok(batch
            .into_iter()
            .map(|submission| {
                let conv = self.convs[&ConvKey::of(submission.sender, submission.message.target)];
                Pending { submission, conv }
            })
            .collect())
    }

    async fn load_convs(&mut self, keys: HashSet<ConvKey>) -> DbResult<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let client = self.pool.get().await?;
        let mut pairs = Vec::new();
        for key in keys {
            match key {
                ConvKey::Direct(lo, hi) => pairs.push((lo, hi)),
                ConvKey::Group(group) => {
                    let id = conversations::of_group(&client, group).await?;
                    self.convs.insert(key, id);
                }
            }
        }
        if !pairs.is_empty() {
            for ((lo, hi), id) in conversations::direct_many(&client, &pairs).await? {
                self.convs.insert(ConvKey::Direct(lo, hi), id);
            }
        }
        Ok(())
    }

    /// Stores the batch in one statement and moves the seq counters past what it stored.
    async fn store(&mut self, rows: &[NewMessage]) -> DbResult<Vec<Placed>> {
        let client = self.pool.get().await?;
        let placed =
            messages::store_batch(&client, rows, |conv| self.last_seq.get(&conv).copied()).await?;
        for place in placed.iter().filter(|p| !p.retried) {
            let last = self.last_seq.entry(place.conv).or_insert(place.seq);
            *last = (*last).max(place.seq);
        }
        Ok(placed)
    }

    /// Acks the sender's connection and publishes the message to its audience.
    fn deliver(&self, submission: Submission, row: NewMessage, place: Placed) {
        let message = to_chat_message(row, place);
        let audience = match submission.message.target {
            Target::User(to) => Audience::Users(vec![to, submission.sender]),
            Target::Group(group) => Audience::Group(group),
        };
        self.bus.publish(Envelope {
            audience,
            frame: encode(&message),
            skip: Some(submission.origin.id),
        });
        ack(&submission, place);
    }
}

/// Splits off submissions repeating a `(sender, cid)` seen earlier in the same batch: they are
/// answered with the first one's ack once it is stored.
fn split_echoes(pending: Vec<Pending>) -> (Vec<Pending>, Vec<Submission>) {
    let mut seen = HashSet::new();
    let mut echoes = Vec::new();
    let unique = pending
        .into_iter()
        .filter_map(|p| {
            if seen.insert((p.submission.sender, p.submission.message.cid.clone())) {
                Some(p)
            } else {
                echoes.push(p.submission);
                None
            }
        })
        .collect();
    (unique, echoes)
}

fn new_message(p: &Pending) -> NewMessage {
    let s = &p.submission;
    let m = &s.message;
    let (command, dstid) = match m.target {
        Target::User(to) => (cmd::SINGLE, to),
        Target::Group(group) => (cmd::GROUP, group),
    };
    NewMessage {
        conv: p.conv,
        sender: s.sender,
        cmd: command as i16,
        dstid,
        media: m.media as i16,
        content: m.content.clone(),
        pic: m.pic.clone(),
        url: m.url.clone(),
        memo: m.memo.clone(),
        amount: m.amount,
        media_id: s.media_id,
        cid: m.cid.clone(),
    }
}

fn to_chat_message(row: NewMessage, place: Placed) -> ChatMessage {
    ChatMessage {
        id: place.id,
        conv: place.conv,
        seq: place.seq,
        userid: row.sender,
        dstid: row.dstid,
        cmd: i64::from(row.cmd),
        media: i64::from(row.media),
        content: row.content,
        pic: row.pic,
        url: row.url,
        memo: row.memo,
        amount: row.amount,
        media_id: row.media_id.map(|id| id.to_string()),
        cid: Some(row.cid),
        ts: place.ts,
    }
}

fn ack(submission: &Submission, place: Placed) {
    let frame = Ack {
        cmd: cmd::ACK,
        cid: submission.message.cid.clone(),
        id: place.id,
        conv: place.conv,
        seq: place.seq,
        ts: place.ts,
    };
    submission.origin.push(encode(&frame));
}

fn reject(submission: &Submission, error: &FrameError) {
    let frame = ErrorFrame::new(Some(submission.message.cid.clone()), error);
    submission.origin.push(encode(&frame));
}
