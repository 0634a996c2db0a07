//! Names and helpers of the realtime metrics, exported at `/metrics`.

use std::time::Duration;

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
