//! One load-test client: connect, read (counting deliveries and their latency), send on a timer.

use std::{
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt, stream::SplitSink, stream::SplitStream};
use hdrhistogram::Histogram;
use natter_protocol::cmd;
use serde::Deserialize;
use tokio::{net::TcpStream, task::JoinHandle};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{Message, protocol::WebSocketConfig},
};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
pub type Sink = SplitSink<Ws, Message>;

/// Counters shared by every client of a run.
pub struct Stats {
    epoch: Instant,
    pub sent: AtomicU64,
    pub acked: AtomicU64,
    pub errors: AtomicU64,
    pub delivered: AtomicU64,
    /// Send-to-delivery latency, in microseconds, of messages sent after the warm-up.
    pub latency: Mutex<Histogram<u64>>,
    /// Messages sent before this instant (µs since `epoch`) are warm-up: their latency is not kept.
    measure_from: AtomicU64,
}

impl Stats {
    pub fn new() -> Self {
        Self {
            epoch: Instant::now(),
            sent: AtomicU64::new(0),
            acked: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            latency: Mutex::new(
                Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds"),
            ),
            measure_from: AtomicU64::new(u64::MAX),
        }
    }

    /// Ends the warm-up: latencies of messages sent from now on are kept.
    pub fn start_measuring(&self) {
        self.measure_from
            .store(self.micros_now(), Ordering::Relaxed);
    }

    fn micros_now(&self) -> u64 {
        self.micros_at(Instant::now())
    }

    fn micros_at(&self, instant: Instant) -> u64 {
        instant.saturating_duration_since(self.epoch).as_micros() as u64
    }
}

/// The part of a server frame the load generator reads.
#[derive(Deserialize)]
struct Probe<'a> {
    cmd: i64,
    #[serde(borrow, default)]
    content: Option<&'a str>,
    #[serde(borrow, default)]
    code: Option<&'a str>,
}

/// Opens an authenticated connection.
pub async fn connect(ws_url: &str, token: &str) -> anyhow::Result<(Sink, SplitStream<Ws>)> {
    // Small frames: a 4 KiB read buffer (the default zeroes 128 KiB before every read), and no
    // Nagle delay, as browsers do.
    let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
    let (ws, _) = tokio_tungstenite::connect_async_with_config(
        format!("{ws_url}?token={token}"),
        Some(config),
        true,
    )
    .await?;
    Ok(ws.split())
}

/// Reads frames until the connection closes, counting acks, errors and deliveries.
pub fn spawn_reader(mut stream: SplitStream<Ws>, stats: &'static Stats) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(Ok(message)) = stream.next().await {
            let Message::Text(text) = message else {
                continue;
            };
            let Ok(probe) = serde_json::from_str::<Probe>(text.as_str()) else {
                continue;
            };
            match probe.cmd {
                cmd::ACK => {
                    stats.acked.fetch_add(1, Ordering::Relaxed);
                }
                cmd::ERROR => {
                    stats.errors.fetch_add(1, Ordering::Relaxed);
                    if stats.errors.load(Ordering::Relaxed) < 5 {
                        eprintln!("error frame: {:?}", probe.code);
                    }
                }
                cmd::SINGLE | cmd::GROUP => record_delivery(stats, probe.content),
                _ => {}
            }
        }
    })
}

fn record_delivery(stats: &Stats, content: Option<&str>) {
    stats.delivered.fetch_add(1, Ordering::Relaxed);
    if let Some(sent_at) = content.and_then(|c| c.parse::<u64>().ok())
        && sent_at >= stats.measure_from.load(Ordering::Relaxed)
    {
        let latency = stats.micros_now().saturating_sub(sent_at).max(1);
        let _ = stats
            .latency
            .lock()
            .expect("histogram lock")
            .record(latency);
    }
}

/// Sends `{cmd, dstid}` messages every `period` until `deadline`; the content is the send time.
pub fn spawn_sender(
    mut sink: Sink,
    command: i64,
    dstid: i64,
    period: Duration,
    deadline: Instant,
    stats: &'static Stats,
) -> JoinHandle<Sink> {
    tokio::spawn(async move {
        let offset = Duration::from_micros(rand_offset(period, dstid));
        // Open loop: every send keeps its place in the schedule (missed ticks are sent at once).
        // Delaying them instead would let senders held up together stay in step, and the load
        // would turn into synchronised bursts that no real population of clients produces.
        let mut timer = tokio::time::interval_at(tokio::time::Instant::now() + offset, period);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut n = 0u64;
        while Instant::now() < deadline {
            let scheduled = timer.tick().await.into_std();
            n += 1;
            // Latency counts from when the message was due, so that a late send (the load
            // generator itself falling behind) is not hidden from the figures.
            let frame = format!(
                r#"{{"cmd":{command},"dstid":{dstid},"media":1,"cid":"{n}","content":"{}"}}"#,
                stats.micros_at(scheduled)
            );
            if sink.send(Message::Text(frame.into())).await.is_err() {
                break;
            }
            stats.sent.fetch_add(1, Ordering::Relaxed);
        }
        sink
    })
}

/// Spreads the senders' first ticks over one period, deterministically.
fn rand_offset(period: Duration, seed: i64) -> u64 {
    let period = period.as_micros().max(1) as u64;
    (seed as u64).wrapping_mul(2_654_435_761) % period
}
