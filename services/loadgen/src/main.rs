//! `natter-loadgen`: drives a running hub with many authenticated WebSocket clients and reports
//! delivered messages per second, send-to-delivery latency (p50/p99), losses, and the hub's RSS and CPU.
//!
//! Users and groups are seeded straight into PostgreSQL and tokens are minted with the hub's
//! `TOKEN_SECRET`, so that preparing 10 000 users does not spend minutes in argon2.

mod client;
mod proc_stats;
mod report;
mod scenario;
mod seed;

use std::time::Duration;

use clap::{Parser, ValueEnum};

/// What to measure.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Scenario {
    /// Connect everyone, send nothing: RSS per idle connection.
    Idle,
    /// Pairs of users message each other.
    Direct,
    /// Members of one big group message the group.
    Group,
}

#[derive(Debug, Clone, Parser)]
#[command(name = "natter-loadgen", about)]
pub struct Args {
    #[arg(long, value_enum, default_value = "direct")]
    pub scenario: Scenario,
    /// WebSocket URL of the hub.
    #[arg(long, env = "LOADGEN_WS_URL", default_value = "ws://127.0.0.1:8088/ws")]
    pub ws_url: String,
    /// The hub's database (users and groups are seeded there).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/natter"
    )]
    pub database_url: String,
    /// The hub's token secret.
    #[arg(
        long,
        env = "TOKEN_SECRET",
        default_value = "natter-dev-secret-change-me"
    )]
    pub token_secret: String,
    /// Pid of the hub process, for RSS and CPU figures.
    #[arg(long)]
    pub hub_pid: Option<u32>,
    /// Connections to open.
    #[arg(long, default_value_t = 1000)]
    pub connections: usize,
    /// Members of the group (group scenario); they are the first connections.
    #[arg(long, default_value_t = 1000)]
    pub group_size: usize,
    /// How many connections send (the rest only receive).
    #[arg(long, default_value_t = 100)]
    pub senders: usize,
    /// Messages per second, all senders together.
    #[arg(long, default_value_t = 1000)]
    pub rate: u32,
    /// Seconds of sending that are measured (after the warm-up).
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Seconds of sending before measuring starts.
    #[arg(long, default_value_t = 3)]
    pub warmup_seconds: u64,
    /// Connections opened at once while connecting.
    #[arg(long, default_value_t = 200)]
    pub connect_parallelism: usize,
}

impl Args {
    pub fn duration(&self) -> Duration {
        Duration::from_secs(self.seconds)
    }

    pub fn warmup(&self) -> Duration {
        Duration::from_secs(self.warmup_seconds)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let report = scenario::run(&args).await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
