//! The group-commit writer: the one task that makes messages durable.
//!
//! Sessions submit validated messages; the writer takes everything queued (up to a batch limit),
//! resolves conversations, answers retried `cid`s with their first ack, allocates gap-free seqs from
//! its in-memory counters, stores the batch in one transaction (one multi-row insert), and only after
//! the commit acks each sender and publishes each message to the bus. Being the only writer is what
//! makes the in-memory seq counters safe; a clustered hub would shard conversations across writers.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::Instant,
};

use natter_db::{DbResult, Pool, conversations, messages, messages::NewMessage};
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

/// A batch told apart by [`Writer::split_retries`].
#[derive(Default)]
struct Split {
    fresh: Vec<Pending>,
    retried: Vec<(Submission, ChatMessage)>,
    echoes: Vec<Submission>,
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
        let pending = match self.resolve(batch).await {
            Ok(p) => p,
            Err((e, batch)) => return Err((e, batch)),
        };
        let Split {
            fresh,
            retried,
            echoes,
        } = match self.split_retries(pending).await {
            Ok(split) => split,
            Err((e, pending)) => {
                return Err((e, pending.into_iter().map(|p| p.submission).collect()));
            }
        };
        for (submission, stored) in retried {
            ack(&submission, stored);
        }
        if fresh.is_empty() {
            return Ok(());
        }
        let rows = match self.store(&fresh).await {
            Ok(rows) => rows,
            Err(e) => {
                let mut failed: Vec<Submission> = fresh.into_iter().map(|p| p.submission).collect();
                failed.extend(echoes);
                return Err((e, failed));
            }
        };
        metrics::messages_stored(rows.len());
        let by_cid: HashMap<(i64, &str), &ChatMessage> = rows
            .iter()
            .map(|m| ((m.userid, m.cid.as_deref().unwrap_or_default()), m))
            .collect();
        for echo in echoes {
            if let Some(stored) = by_cid.get(&(echo.sender, echo.message.cid.as_str())) {
                ack(&echo, (*stored).clone());
            }
        }
        for (pending, stored) in fresh.into_iter().zip(rows) {
            self.deliver(pending.submission, stored);
        }
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

    /// Splits off submissions whose `(sender, cid)` is already stored (`retried`: they get the
    /// first ack again) or repeated within this batch (`echoes`: answered once the first is stored).
    async fn split_retries(
        &self,
        pending: Vec<Pending>,
    ) -> Result<Split, (natter_db::DbError, Vec<Pending>)> {
        let keys: Vec<(i64, String)> = pending
            .iter()
            .map(|p| (p.submission.sender, p.submission.message.cid.clone()))
            .collect();
        let stored = match self.find_stored(&keys).await {
            Ok(found) => found,
            Err(e) => return Err((e, pending)),
        };
        let mut split = Split::default();
        let mut seen = HashSet::new();
        for p in pending {
            let key = (p.submission.sender, p.submission.message.cid.clone());
            if let Some(message) = stored.get(&key) {
                split.retried.push((p.submission, message.clone()));
            } else if seen.insert(key) {
                split.fresh.push(p);
            } else {
                split.echoes.push(p.submission);
            }
        }
        Ok(split)
    }

    async fn find_stored(
        &self,
        keys: &[(i64, String)],
    ) -> DbResult<HashMap<(i64, String), ChatMessage>> {
        let client = self.pool.get().await?;
        let found = messages::find_by_cids(&client, keys).await?;
        Ok(found
            .into_iter()
            .map(|m| ((m.userid, m.cid.clone().unwrap_or_default()), m))
            .collect())
    }

    /// Allocates seqs and stores the batch in one transaction; returns each stored message.
    async fn store(&mut self, fresh: &[Pending]) -> DbResult<Vec<ChatMessage>> {
        let client = self.pool.get().await?;
        let unknown: Vec<i64> = fresh
            .iter()
            .map(|p| p.conv)
            .filter(|c| !self.last_seq.contains_key(c))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if !unknown.is_empty() {
            self.last_seq
                .extend(messages::last_seqs(&client, &unknown).await?);
        }
        let (rows, next_seq) = self.allocate(fresh);
        // One statement, so one implicit transaction: the whole batch commits or none of it.
        let stored = messages::insert_batch(&client, &rows).await?;
        self.last_seq.extend(next_seq);
        Ok(rows
            .into_iter()
            .zip(stored)
            .map(|(row, (id, ts))| to_chat_message(row, id, ts))
            .collect())
    }

    /// Numbers the batch, one conversation counter at a time, without touching the committed counters.
    fn allocate(&self, fresh: &[Pending]) -> (Vec<NewMessage>, HashMap<i64, i64>) {
        let mut next: HashMap<i64, i64> = HashMap::new();
        let rows = fresh
            .iter()
            .map(|p| {
                let seq = next
                    .entry(p.conv)
                    .or_insert_with(|| self.last_seq.get(&p.conv).copied().unwrap_or(0));
                *seq += 1;
                new_message(p, *seq)
            })
            .collect();
        (rows, next)
    }

    /// Acks the sender's connection and publishes the message to its audience.
    fn deliver(&self, submission: Submission, message: ChatMessage) {
        let audience = match submission.message.target {
            Target::User(to) => Audience::Users(vec![to, submission.sender]),
            Target::Group(group) => Audience::Group(group),
        };
        self.bus.publish(Envelope {
            audience,
            frame: encode(&message),
            skip: Some(submission.origin.id),
        });
        ack(&submission, message);
    }
}

fn new_message(p: &Pending, seq: i64) -> NewMessage {
    let s = &p.submission;
    let m = &s.message;
    let (command, dstid) = match m.target {
        Target::User(to) => (cmd::SINGLE, to),
        Target::Group(group) => (cmd::GROUP, group),
    };
    NewMessage {
        conv: p.conv,
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

fn ack(submission: &Submission, stored: ChatMessage) {
    let frame = Ack::of(&stored, submission.message.cid.clone());
    submission.origin.push(encode(&frame));
}

fn reject(submission: &Submission, error: &FrameError) {
    let frame = ErrorFrame::new(Some(submission.message.cid.clone()), error);
    submission.origin.push(encode(&frame));
}
