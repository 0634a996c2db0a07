//! Names and helpers of the realtime metrics, exported at `/metrics`.

use std::time::Duration;

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
            "connections cut off because their queue was full",
        ),
    ];
    for (name, help) in counters {
        metrics::describe_counter!(name, help);
        metrics::counter!(name).absolute(0);
    }
    for (name, help) in [
        ("natter_ws_connections", "open WebSocket connections"),
        ("natter_users_online", "users with at least one connection"),
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

pub fn frame_out() {
    metrics::counter!("natter_frames_out_total").increment(1);
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
