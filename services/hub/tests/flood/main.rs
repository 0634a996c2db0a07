//! A catch-up flood, in a test binary of its own: the hub runs in this process alone, so its
//! metrics and this process's memory are the hub's.
//!
//! A user in hundreds of busy conversations asks for catch-up again and again on ten sockets that
//! never read. The hub must cut every socket off, and what it holds for them must stay bounded.

#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::time::Duration;

use helpers::{TestApp, metric_value, spawn_app_with, unthrottled};

/// Conversations of the user, messages in each, and the size of each message.
const GROUPS: i64 = 300;
const MESSAGES: i64 = 20;
const CONTENT_BYTES: i32 = 2000;
const SOCKETS: usize = 10;
const REQUESTS_PER_SOCKET: usize = 10;

#[tokio::test]
async fn catch_up_on_sockets_that_never_read_is_cut_off_and_holds_little() {
    let app = spawn_app_with(|c| {
        unthrottled(c);
        c.write_timeout_secs = 2;
    })
    .await;
    let (victim, token) = app.register("victim").await;
    let (sender, _) = app.register("sender").await;
    let backlog = fill_backlog(&app, victim.id, sender.id).await;
    assert_eq!(backlog, GROUPS * MESSAGES);

    let mut sockets = Vec::new();
    for _ in 0..SOCKETS {
        sockets.push(app.stalled_ws(&token).await);
    }
    let rss_before = rss_bytes();
    for socket in &mut sockets {
        for _ in 0..REQUESTS_PER_SOCKET {
            socket.send_text(r#"{"cmd":30,"cursors":{}}"#).await;
        }
    }
    let peak = watch_until_all_closed(&app, rss_before).await;

    let metrics = app.metrics().await;
    let cut_off = metric_value(&metrics, "natter_write_timeouts_total")
        + metric_value(&metrics, "natter_outbound_queue_drops_total");
    assert!(
        cut_off >= SOCKETS as f64,
        "every stalled socket was cut off:\n{metrics}"
    );
    eprintln!(
        "flood: backlog {} MB asked {} times; peak queued {} KiB, peak RSS growth {} KiB",
        backlog * i64::from(CONTENT_BYTES) / 1_000_000,
        SOCKETS * REQUESTS_PER_SOCKET,
        peak.queued / 1024,
        peak.rss_growth / 1024,
    );
    // Each socket's catch-up fills its queue to 256 KiB at most (plus the frame that crosses it).
    assert!(
        peak.queued <= SOCKETS * (256 + 16) * 1024,
        "queued {} bytes",
        peak.queued
    );
    // Collecting one request's replay alone would take 12 MB; ten sockets, ten times that.
    assert!(
        peak.rss_growth < 24 * 1024 * 1024,
        "the process grew by {} bytes",
        peak.rss_growth
    );
    drop(sockets);
}

/// Puts `victim` and `sender` in many groups, each with a backlog of messages; returns the count.
async fn fill_backlog(app: &TestApp, victim: i64, sender: i64) -> i64 {
    let client = app.pool.get().await.expect("db");
    client
        .execute(
            "with made as (
                 insert into groups (name, owner_id)
                 select 'busy ' || i, $2 from generate_series(1, $3::bigint) as i
                 returning id
             ),
             members as (
                 insert into group_members (group_id, user_id)
                 select id, u from made cross join (values ($1::bigint), ($2::bigint)) as v(u)
             )
             insert into conversations (kind, group_id) select 2, id from made",
            &[&victim, &sender, &GROUPS],
        )
        .await
        .expect("groups");
    client
        .execute(
            "insert into messages (conv_id, seq, sender_id, cmd, dstid, media, content, cid)
             select c.id, s, $1, 11, c.group_id, 1, repeat('x', $3), c.id || '-' || s
             from conversations c cross join generate_series(1, $2::bigint) as s
             where c.kind = 2",
            &[&sender, &MESSAGES, &CONTENT_BYTES],
        )
        .await
        .expect("messages");
    client
        .query_one("select count(*) from messages", &[])
        .await
        .expect("count")
        .get(0)
}

struct Peak {
    queued: usize,
    rss_growth: usize,
}

/// Samples the queued-bytes gauge and this process's memory until the hub has closed every
/// connection; returns the highest figures seen.
async fn watch_until_all_closed(app: &TestApp, rss_before: usize) -> Peak {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut peak = Peak {
        queued: 0,
        rss_growth: 0,
    };
    loop {
        let metrics = app.metrics().await;
        let queued = metric_value(&metrics, "natter_outbound_queued_bytes") as usize;
        peak.queued = peak.queued.max(queued);
        peak.rss_growth = peak.rss_growth.max(rss_bytes().saturating_sub(rss_before));
        let open = metric_value(&metrics, "natter_ws_connections");
        let replayed = metric_value(&metrics, "natter_frames_out_total");
        if open == 0.0 && replayed > 0.0 {
            return peak;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{open} connections still open:\n{metrics}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// This process's resident memory, from `/proc/self/status`.
fn rss_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("proc status");
    let kib: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS line");
    kib * 1024
}
