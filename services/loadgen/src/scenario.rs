//! A run: seed, connect, send for a while, drain, report.

use std::{
    sync::atomic::Ordering,
    time::{Duration, Instant},
};

use futures_util::{StreamExt, stream};
use natter_protocol::cmd;

use crate::{
    Args, Scenario,
    client::{self, Sink, Stats},
    proc_stats::{self, CpuReading},
    report::Report,
    seed,
};

/// After sending stops, the run waits for every ack and delivery while they keep coming (an
/// overloaded hub works through a backlog); it gives up once nothing has arrived for this long.
const DRAIN_STALL: Duration = Duration::from_secs(5);

pub async fn run(args: &Args) -> anyhow::Result<Report> {
    let stats: &'static Stats = Box::leak(Box::new(Stats::new()));
    let seeded = seed::seed(
        &args.database_url,
        &args.token_secret,
        args.connections,
        args.group_size,
    )
    .await?;
    let mut report = Report {
        scenario: format!("{:?}", args.scenario).to_lowercase(),
        connections: args.connections,
        target_rate: args.rate,
        ..Report::default()
    };
    let before = proc_stats::rss_kib(args.hub_pid);
    report.hub_rss_before_kib = before;
    let started = Instant::now();
    let sinks = connect_all(args, &seeded.tokens, stats).await?;
    report.connect_seconds = started.elapsed().as_secs_f64();
    let connected = proc_stats::rss_kib(args.hub_pid);
    report.hub_rss_connected_kib = connected;
    if let (Some(b), Some(c)) = (before, connected) {
        report.rss_per_connection_bytes =
            Some((c as f64 - b as f64) * 1024.0 / args.connections as f64);
    }
    if matches!(args.scenario, Scenario::Idle) {
        return Ok(report);
    }
    let (plan, fan_out) = plan(args, &seeded);
    // Everyone sends through a warm-up first (first messages create conversations and fill the
    // hub's caches); throughput, CPU and latency count only what happens after it.
    let send_started = Instant::now();
    let measure_start = send_started + args.warmup();
    let deadline = measure_start + args.duration();
    let period = Duration::from_secs_f64(plan.len() as f64 / f64::from(args.rate.max(1)));
    let mut senders = Vec::new();
    let mut sinks: Vec<Option<Sink>> = sinks.into_iter().map(Some).collect();
    for (index, command, dstid) in plan {
        let sink = sinks[index].take().expect("one sender per connection");
        senders.push(client::spawn_sender(
            sink, command, dstid, period, deadline, stats,
        ));
    }
    let sample_until = |until: Instant| async move {
        let mut peak = 0;
        while Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(250)).await;
            peak = peak.max(proc_stats::rss_kib(args.hub_pid).unwrap_or(0));
        }
        peak
    };
    let mut peak_rss = sample_until(measure_start).await;
    stats.start_measuring();
    let measure_started = Instant::now();
    let delivered_before = stats.delivered.load(Ordering::Relaxed);
    let acked_before = stats.acked.load(Ordering::Relaxed);
    let cpu_before = CpuReading::now(args.hub_pid);
    peak_rss = peak_rss.max(sample_until(deadline).await);
    let send_window = measure_started.elapsed();
    let delivered_in_window = stats.delivered.load(Ordering::Relaxed) - delivered_before;
    let acked_in_window = stats.acked.load(Ordering::Relaxed) - acked_before;
    let cpu = CpuReading::now(args.hub_pid).shares_since(&cpu_before, send_window);
    let _held: Vec<Sink> = futures_util::future::join_all(senders)
        .await
        .into_iter()
        .flatten()
        .collect();
    report.settled = drain(stats, fan_out).await;
    fill(
        &mut report,
        stats,
        fan_out,
        send_window,
        delivered_in_window,
        acked_in_window,
    );
    report.hub_cpu_percent = cpu.hub;
    report.loadgen_cpu_percent = cpu.loadgen;
    report.postgres_cpu_percent = Some(cpu.postgres);
    report.machine_cpu_percent = cpu.machine;
    report.cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    report.hub_rss_peak_kib = (peak_rss > 0).then_some(peak_rss);
    Ok(report)
}

/// Opens every connection, `connect_parallelism` at a time, and starts their readers.
async fn connect_all(
    args: &Args,
    tokens: &[String],
    stats: &'static Stats,
) -> anyhow::Result<Vec<Sink>> {
    let results: Vec<anyhow::Result<Sink>> = stream::iter(tokens.iter())
        .map(|token| async move {
            let (sink, stream) = client::connect(&args.ws_url, token).await?;
            client::spawn_reader(stream, stats);
            Ok(sink)
        })
        .buffered(args.connect_parallelism.max(1))
        .collect()
        .await;
    results.into_iter().collect()
}

/// Who sends to whom: `(connection index, cmd, dstid)`, and deliveries expected per message.
fn plan(args: &Args, seeded: &seed::Seeded) -> (Vec<(usize, i64, i64)>, u64) {
    let senders = args.senders.min(args.connections);
    match args.scenario {
        Scenario::Group => {
            let members = args.group_size.min(args.connections);
            let plan = (0..senders.min(members))
                .map(|i| (i, cmd::GROUP, seeded.group))
                .collect();
            (plan, members.saturating_sub(1) as u64)
        }
        _ => {
            // Connection i sends to its partner i ^ 1 (pairs 0-1, 2-3, ...).
            let plan = (0..senders)
                .filter(|i| (i ^ 1) < args.connections)
                .map(|i| (i, cmd::SINGLE, seeded.users[i ^ 1]))
                .collect();
            (plan, 1)
        }
    }
}

/// Waits until every sent message is answered and every acked one delivered, or until nothing has
/// arrived for [`DRAIN_STALL`]. Returns whether everything settled: only then is `lost` exact.
async fn drain(stats: &Stats, fan_out: u64) -> bool {
    let progress = || {
        stats.acked.load(Ordering::Relaxed)
            + stats.errors.load(Ordering::Relaxed)
            + stats.delivered.load(Ordering::Relaxed)
    };
    let (mut seen, mut last_progress) = (progress(), Instant::now());
    loop {
        let acked = stats.acked.load(Ordering::Relaxed);
        if acked + stats.errors.load(Ordering::Relaxed) >= stats.sent.load(Ordering::Relaxed)
            && stats.delivered.load(Ordering::Relaxed) >= acked * fan_out
        {
            return true;
        }
        let now = progress();
        if now != seen {
            (seen, last_progress) = (now, Instant::now());
        } else if last_progress.elapsed() > DRAIN_STALL {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn fill(
    report: &mut Report,
    stats: &Stats,
    fan_out: u64,
    window: Duration,
    delivered: u64,
    acked: u64,
) {
    let secs = window.as_secs_f64();
    report.seconds = secs;
    report.sent = stats.sent.load(Ordering::Relaxed);
    report.acked = stats.acked.load(Ordering::Relaxed);
    report.errors = stats.errors.load(Ordering::Relaxed);
    report.expected_deliveries = report.acked * fan_out;
    report.delivered = stats.delivered.load(Ordering::Relaxed);
    report.lost = report.expected_deliveries as i64 - report.delivered as i64;
    report.delivered_per_sec = delivered as f64 / secs;
    report.acked_per_sec = acked as f64 / secs;
    let histogram = stats.latency.lock().expect("histogram lock");
    report.latency_p50_ms = histogram.value_at_quantile(0.5) as f64 / 1000.0;
    report.latency_p99_ms = histogram.value_at_quantile(0.99) as f64 / 1000.0;
    report.latency_max_ms = histogram.max() as f64 / 1000.0;
}
