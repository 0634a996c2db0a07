//! The figures a run reports.

use serde::Serialize;

/// What one run measured; printed as JSON. CPU figures are percent of one core.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub scenario: String,
    pub connections: usize,
    pub connect_seconds: f64,
    pub hub_rss_before_kib: Option<u64>,
    pub hub_rss_connected_kib: Option<u64>,
    pub rss_per_connection_bytes: Option<f64>,
    pub target_rate: u32,
    pub seconds: f64,
    pub sent: u64,
    pub acked: u64,
    pub errors: u64,
    pub expected_deliveries: u64,
    pub delivered: u64,
    /// Acked messages whose deliveries never arrived; exact only when `settled`.
    pub lost: i64,
    /// Every sent message was answered and every acked one delivered before the run ended.
    pub settled: bool,
    pub delivered_per_sec: f64,
    pub acked_per_sec: f64,
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    pub latency_max_ms: f64,
    pub hub_cpu_percent: Option<f64>,
    /// CPU of the load generator itself (same machine: it competes with the hub and PostgreSQL).
    pub loadgen_cpu_percent: Option<f64>,
    /// CPU of every PostgreSQL process on this machine.
    pub postgres_cpu_percent: Option<f64>,
    /// CPU of the whole machine (all cores together: `cores` × 100 is every core busy).
    pub machine_cpu_percent: Option<f64>,
    pub cores: usize,
    pub hub_rss_peak_kib: Option<u64>,
}
