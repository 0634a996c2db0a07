//! The group-commit writer: the one task that makes messages durable.
//!
//! Sessions submit validated messages; the writer takes everything queued (up to a batch limit),
//! resolves conversations, answers retried `cid`s with their first ack, allocates gap-free seqs from
//! its in-memory counters, stores the batch in one statement (one multi-row insert, so one
//! transaction), and only after the commit publishes each message to its audience and acks each
//! sender, both through the bus. Being the only writer is what makes the in-memory seq counters safe;
//! a clustered hub would shard conversations across writers.
//!
//! The writer is supervised: a batch that fails or panics is answered `unavailable` (clients resend
//! with the same `cid`), logged and counted, its counters are reloaded, and the writer goes on.

use std::{
    any::Any,
    collections::{HashMap, HashSet},
    future::Future,
    panic::AssertUnwindSafe,
    sync::Arc,
    time::Instant,
};

use futures_util::FutureExt;
use natter_db::{
    DbError, GenericClient, Pool, PoolError, conversations, messages, messages::NewMessage,
};
use natter_protocol::{Ack, ChatMessage, ErrorFrame, FrameError, OutgoingMessage, Target, cmd};
use tokio::{sync::mpsc, task::JoinHandle};
use tokio_util::sync::CancellationToken;

use super::{
    bus::{Audience, Bus, Envelope, Frame},
    conn::ConnId,
    metrics,
};

/// Messages waiting for the writer; senders wait (back-pressure) when it is full.
const QUEUE_CAPACITY: usize = 16 * 1024;

/// A message validated by its session, to be stored and delivered.
#[derive(Debug)]
pub struct Submission {
    pub sender: i64,
    /// The connection that sent it: it gets the ack (or the error), wherever it is.
    pub origin: ConnId,
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

/// Why a batch was not stored; its senders are told to retry.
#[derive(Debug, thiserror::Error)]
enum CommitError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("the conversation of {0:?} was not found after its upsert")]
    Unresolved(ConvKey),
    #[error("the commit panicked: {0}")]
    Panicked(String),
}

impl From<PoolError> for CommitError {
    fn from(e: PoolError) -> Self {
        Self::Db(e.into())
    }
}

/// What a commit did with one submission of the batch.
#[derive(Debug)]
enum Outcome {
    /// Stored by this commit: published to its audience, then acked.
    Stored(ChatMessage),
    /// Stored before (a resent `cid`, or its twin earlier in the batch): acked with the first ack.
    Known(ChatMessage),
}

/// How [`Writer::classify`] sorts a submission.
enum Slot {
    /// Stored before (retries are rare: boxed, so the common slots stay small).
    Known(Box<ChatMessage>),
    /// The n-th fresh message of the batch.
    Fresh(usize),
    /// The same `cid` as the n-th fresh message.
    Echo(usize),
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

    /// Commits a batch and answers every submission of it, whatever happens.
    async fn commit(&mut self, batch: Vec<Submission>) {
        let started = Instant::now();
        match supervised(self.try_commit(&batch)).await {
            Ok(outcomes) => {
                metrics::commit(batch.len(), started.elapsed());
                for (submission, outcome) in batch.into_iter().zip(outcomes) {
                    self.answer(submission, outcome);
                }
            }
            Err(e) => {
                metrics::commit_failed();
                tracing::error!(error = %e, messages = batch.len(), "commit failed; senders were told to retry");
                // The counters may be ahead of what is stored: reload them on next use.
                self.last_seq.clear();
                for submission in &batch {
                    self.reject(submission, &FrameError::Unavailable);
                }
            }
        }
    }

    /// Stores what is new in the batch; answers nobody (that happens once this has returned).
    async fn try_commit(&mut self, batch: &[Submission]) -> Result<Vec<Outcome>, CommitError> {
        let client = self.pool.get().await?;
        let convs = self.resolve(&client, batch).await?;
        let (slots, fresh) = self.classify(&client, batch).await?;
        let stored = if fresh.is_empty() {
            Vec::new()
        } else {
            self.store(&client, batch, &convs, &fresh).await?
        };
        metrics::messages_stored(stored.len());
        Ok(outcomes(slots, stored))
    }

    /// The conversation of every submission, found or created.
    async fn resolve(
        &mut self,
        client: &impl GenericClient,
        batch: &[Submission],
    ) -> Result<Vec<i64>, CommitError> {
        let keys: Vec<ConvKey> = batch
            .iter()
            .map(|s| ConvKey::of(s.sender, s.message.target))
            .collect();
        let missing: HashSet<ConvKey> = keys
            .iter()
            .filter(|key| !self.convs.contains_key(key))
            .copied()
            .collect();
        self.load_convs(client, missing).await?;
        keys.into_iter()
            .map(|key| {
                self.convs
                    .get(&key)
                    .copied()
                    .ok_or(CommitError::Unresolved(key))
            })
            .collect()
    }

    async fn load_convs(
        &mut self,
        client: &impl GenericClient,
        keys: HashSet<ConvKey>,
    ) -> Result<(), CommitError> {
        let mut pairs = Vec::new();
        for key in keys {
            match key {
                ConvKey::Direct(lo, hi) => pairs.push((lo, hi)),
                ConvKey::Group(group) => {
                    let id = conversations::of_group(client, group).await?;
                    self.convs.insert(key, id);
                }
            }
        }
        if !pairs.is_empty() {
            for ((lo, hi), id) in conversations::direct_many(client, &pairs).await? {
                self.convs.insert(ConvKey::Direct(lo, hi), id);
            }
        }
        Ok(())
    }

    /// Sorts the batch: `(sender, cid)` already stored (known: the first ack again), first seen
    /// (fresh, to store) or repeated within the batch (an echo of a fresh one). Returns each
    /// submission's slot and the indexes of the fresh ones.
    async fn classify(
        &self,
        client: &impl GenericClient,
        batch: &[Submission],
    ) -> Result<(Vec<Slot>, Vec<usize>), CommitError> {
        let keys: Vec<(i64, String)> = batch
            .iter()
            .map(|s| (s.sender, s.message.cid.clone()))
            .collect();
        let stored: HashMap<(i64, String), ChatMessage> = messages::find_by_cids(client, &keys)
            .await?
            .into_iter()
            .map(|m| ((m.userid, m.cid.clone().unwrap_or_default()), m))
            .collect();
        let mut first_of: HashMap<(i64, String), usize> = HashMap::new();
        let mut fresh = Vec::new();
        let mut slots = Vec::with_capacity(batch.len());
        for (index, key) in keys.into_iter().enumerate() {
            let slot = if let Some(message) = stored.get(&key) {
                Slot::Known(Box::new(message.clone()))
            } else if let Some(first) = first_of.get(&key) {
                Slot::Echo(*first)
            } else {
                first_of.insert(key, fresh.len());
                fresh.push(index);
                Slot::Fresh(fresh.len() - 1)
            };
            slots.push(slot);
        }
        Ok((slots, fresh))
    }

    /// Allocates seqs for the fresh submissions and stores them in one statement; returns each
    /// stored message, in the order of `fresh`.
    async fn store(
        &mut self,
        client: &impl GenericClient,
        batch: &[Submission],
        convs: &[i64],
        fresh: &[usize],
    ) -> Result<Vec<ChatMessage>, CommitError> {
        let unknown: Vec<i64> = fresh
            .iter()
            .map(|i| convs[*i])
            .filter(|c| !self.last_seq.contains_key(c))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if !unknown.is_empty() {
            self.last_seq
                .extend(messages::last_seqs(client, &unknown).await?);
        }
        let (rows, next_seq) = self.allocate(batch, convs, fresh);
        // One statement, so one implicit transaction: the whole batch commits or none of it.
        let stored = messages::insert_batch(client, &rows).await?;
        self.last_seq.extend(next_seq);
        Ok(rows
            .into_iter()
            .zip(stored)
            .map(|(row, (id, ts))| to_chat_message(row, id, ts))
            .collect())
    }

    /// Numbers the fresh submissions, one conversation counter at a time, without touching the
    /// committed counters.
    fn allocate(
        &self,
        batch: &[Submission],
        convs: &[i64],
        fresh: &[usize],
    ) -> (Vec<NewMessage>, HashMap<i64, i64>) {
        let mut next: HashMap<i64, i64> = HashMap::new();
        let rows = fresh
            .iter()
            .map(|i| {
                let conv = convs[*i];
                let seq = next
                    .entry(conv)
                    .or_insert_with(|| self.last_seq.get(&conv).copied().unwrap_or(0));
                *seq += 1;
                new_message(&batch[*i], conv, *seq)
            })
            .collect();
        (rows, next)
    }

    /// Publishes a newly stored message to its audience, then acks it; a known one is only acked.
    fn answer(&self, submission: Submission, outcome: Outcome) {
        let message = match outcome {
            Outcome::Known(message) => message,
            Outcome::Stored(message) => {
                let audience = match submission.message.target {
                    Target::User(to) => Audience::Users(vec![to, submission.sender]),
                    Target::Group(group) => Audience::Group(group),
                };
                self.bus.publish(Envelope {
                    audience,
                    frame: Frame::encode(&message),
                    skip: Some(submission.origin),
                });
                message
            }
        };
        let ack = Ack::of(&message, submission.message.cid);
        self.bus
            .publish(Envelope::to_conn(submission.origin, Frame::encode(&ack)));
    }

    fn reject(&self, submission: &Submission, error: &FrameError) {
        let frame = ErrorFrame::new(Some(submission.message.cid.clone()), error);
        self.bus
            .publish(Envelope::to_conn(submission.origin, Frame::encode(&frame)));
    }
}

/// Each submission's outcome, from its slot and the fresh messages as stored.
fn outcomes(slots: Vec<Slot>, stored: Vec<ChatMessage>) -> Vec<Outcome> {
    let mut stored: Vec<Option<ChatMessage>> = stored.into_iter().map(Some).collect();
    // Echoes first: they copy a fresh message that is then moved into its own outcome.
    let mut echoes: HashMap<usize, ChatMessage> = slots
        .iter()
        .enumerate()
        .filter_map(|(i, slot)| match slot {
            Slot::Echo(n) => stored[*n].clone().map(|m| (i, m)),
            _ => None,
        })
        .collect();
    slots
        .into_iter()
        .enumerate()
        .map(|(i, slot)| match slot {
            Slot::Known(message) => Outcome::Known(*message),
            Slot::Echo(_) => Outcome::Known(echoes.remove(&i).expect("echo of a stored message")),
            Slot::Fresh(n) => Outcome::Stored(stored[n].take().expect("each fresh message once")),
        })
        .collect()
}

/// Runs one commit, turning a panic into an error so that the writer goes on.
async fn supervised<T>(
    commit: impl Future<Output = Result<T, CommitError>>,
) -> Result<T, CommitError> {
    match AssertUnwindSafe(commit).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => {
            metrics::writer_panicked();
            Err(CommitError::Panicked(panic_message(&*panic).to_owned()))
        }
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message")
}

fn new_message(s: &Submission, conv: i64, seq: i64) -> NewMessage {
    let m = &s.message;
    let (command, dstid) = match m.target {
        Target::User(to) => (cmd::SINGLE, to),
        Target::Group(group) => (cmd::GROUP, group),
    };
    NewMessage {
        conv,
        seq,
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

fn to_chat_message(row: NewMessage, id: i64, ts: i64) -> ChatMessage {
    ChatMessage {
        id,
        conv: row.conv,
        seq: row.seq,
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
        ts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_commit_becomes_an_error() {
        let result: Result<(), _> = supervised(async { panic!("boom at writer.rs") }).await;
        match result {
            Err(CommitError::Panicked(message)) => assert_eq!(message, "boom at writer.rs"),
            other => panic!("expected a panic error, got {other:?}"),
        }
        let fine = supervised(async { Ok::<_, CommitError>(7) }).await;
        assert_eq!(fine.ok(), Some(7));
    }

    fn message(id: i64) -> ChatMessage {
        ChatMessage {
            id,
            conv: 1,
            seq: id,
            userid: 1,
            dstid: 2,
            cmd: cmd::SINGLE,
            media: 1,
            content: String::new(),
            pic: None,
            url: None,
            memo: None,
            amount: None,
            media_id: None,
            cid: None,
            ts: 0,
        }
    }

    #[test]
    fn an_echo_is_acked_with_the_message_its_twin_stored() {
        let slots = vec![
            Slot::Fresh(0),
            Slot::Known(Box::new(message(9))),
            Slot::Echo(0),
            Slot::Fresh(1),
        ];
        let ids: Vec<(bool, i64)> = outcomes(slots, vec![message(10), message(11)])
            .into_iter()
            .map(|o| match o {
                Outcome::Stored(m) => (true, m.id),
                Outcome::Known(m) => (false, m.id),
            })
            .collect();
        assert_eq!(ids, [(true, 10), (false, 9), (false, 10), (true, 11)]);
    }
}
