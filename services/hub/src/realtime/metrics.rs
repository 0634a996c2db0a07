//! Names and helpers of the realtime metrics, exported at `/metrics`.

use std::{sync::OnceLock, time::Duration};

use metrics::{Counter, Gauge};

/// Handles of the metrics touched for every frame, looked up once rather than per frame.
struct Hot {
    frames_out: Counter,
    queued_bytes: Gauge,
}

static HOT: OnceLock<Hot> = OnceLock::new();

/// The hot handles; made by [`register`], after the recorder is installed.
fn hot() -> &'static Hot {
    HOT.get_or_init(|| Hot {
        frames_out: metrics::counter!("natter_frames_out_total"),
        queued_bytes: metrics::gauge!("natter_outbound_queued_bytes"),
    })
}

/// Describes every metric and sets the counters and gauges to zero, so that `/metrics` shows them
/// all from the start. Runs once per process.
pub fn register() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(register_now);
}

fn register_now() {
    let counters = [
        (
            "natter_ws_connections_total",
            "WebSocket connections accepted",
        ),
        ("natter_frames_in_total", "frames received from clients"),
        ("natter_frames_out_total", "frames queued to clients"),
        (
            "natter_messages_stored_total",
            "messages committed to PostgreSQL",
        ),
        (
            "natter_commit_failures_total",
            "group commits that failed (senders got `unavailable`)",
        ),
        (
            "natter_outbound_queue_drops_total",
            "connections cut off because their queue was full (frames or bytes)",
        ),
        (
            "natter_writer_panics_total",
            "group commits that panicked (senders got `unavailable`; the writer went on)",
        ),
        (
            "natter_write_timeouts_total",
            "connections cut off because their socket took no data for the write timeout",
        ),
        (
            "natter_catch_up_frames_total",
            "messages replayed by catch-up (cmd 30)",
        ),
        (
            "natter_bus_dropped_total",
            "cross-node frames dropped because the NATS connection was backed up",
        ),
    ];
    for (name, help) in counters {
        metrics::describe_counter!(name, help);
        metrics::counter!(name).absolute(0);
    }
    for (name, help) in [
        ("natter_ws_connections", "open WebSocket connections"),
        ("natter_users_online", "users with at least one connection"),
        (
            "natter_outbound_queued_bytes",
            "bytes of frames queued for connections, not yet taken by their sockets",
        ),
    ] {
        metrics::describe_gauge!(name, help);
        metrics::gauge!(name).set(0.0);
    }
    metrics::describe_counter!(
        "natter_frames_rejected_total",
        "frames answered with an error, by code"
    );
    metrics::describe_histogram!("natter_commit_batch_size", "messages per group commit");
    metrics::describe_histogram!("natter_commit_seconds", "duration of a group commit");
    hot();
}

pub fn connection_opened() {
    metrics::counter!("natter_ws_connections_total").increment(1);
    metrics::gauge!("natter_ws_connections").increment(1.0);
}

pub fn connection_closed() {
    metrics::gauge!("natter_ws_connections").decrement(1.0);
}

pub fn users_online(delta: f64) {
    metrics::gauge!("natter_users_online").increment(delta);
}

pub fn frame_in() {
    metrics::counter!("natter_frames_in_total").increment(1);
}

/// A frame of `len` bytes was queued for a connection.
pub fn frame_queued(len: usize) {
    let hot = hot();
    hot.frames_out.increment(1);
    hot.queued_bytes.increment(len as f64);
}

/// A frame of `len` bytes left a connection's queue (taken by its socket, or dropped with it).
pub fn frame_dequeued(len: usize) {
    hot().queued_bytes.decrement(len as f64);
}

pub fn frame_rejected(code: &'static str) {
    metrics::counter!("natter_frames_rejected_total", "code" => code).increment(1);
}

pub fn messages_stored(count: usize) {
    metrics::counter!("natter_messages_stored_total").increment(count as u64);
}

pub fn commit(batch: usize, took: Duration) {
    metrics::histogram!("natter_commit_batch_size").record(batch as f64);
    metrics::histogram!("natter_commit_seconds").record(took.as_secs_f64());
}

pub fn commit_failed() {
    metrics::counter!("natter_commit_failures_total").increment(1);
}

pub fn queue_drop() {
    metrics::counter!("natter_outbound_queue_drops_total").increment(1);
}

pub fn writer_panicked() {
    metrics::counter!("natter_writer_panics_total").increment(1);
}

pub fn write_timeout() {
    metrics::counter!("natter_write_timeouts_total").increment(1);
}

pub fn catch_up_frames(count: usize) {
    metrics::counter!("natter_catch_up_frames_total").increment(count as u64);
}

pub fn bus_dropped() {
    metrics::counter!("natter_bus_dropped_total").increment(1);
}
