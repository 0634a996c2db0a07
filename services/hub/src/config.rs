//! Settings of the hub, from the environment (or flags), with defaults that work locally.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::Parser;
use natter_common::media_limits::MediaLimitsArgs;
use natter_protocol::HubLimits;

/// Secret used when `TOKEN_SECRET` is not set: fine on a laptop, refused nowhere, warned about at start.
pub const DEV_TOKEN_SECRET: &str = "natter-dev-secret-change-me";

/// Settings of the hub. Every field is an environment variable (preferred in deployment) or a flag.
#[derive(Debug, Clone, Parser)]
#[command(name = "natter-hub", version, about)]
pub struct Config {
    /// Address to listen on (the seed's port).
    #[arg(long, env = "HUB_ADDR", default_value = "127.0.0.1:8088")]
    pub addr: SocketAddr,
    /// PostgreSQL URL; the database is created if missing.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/natter"
    )]
    pub database_url: String,
    /// Most PostgreSQL connections in the pool.
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = 16)]
    pub database_pool_size: usize,
    /// HMAC secret that signs tokens; the upload service must have the same.
    #[arg(long, env = "TOKEN_SECRET", default_value = DEV_TOKEN_SECRET, hide_env_values = true)]
    pub token_secret: String,
    /// How long a token stays valid, in hours.
    #[arg(long, env = "TOKEN_TTL_HOURS", default_value_t = 24 * 7)]
    pub token_ttl_hours: u64,
    /// Base URL of the upload service as the browser sees it.
    #[arg(
        long,
        env = "UPLOAD_PUBLIC_URL",
        default_value = "http://127.0.0.1:8089"
    )]
    pub upload_public_url: String,
    /// Folder of the browser page.
    #[arg(long, env = "WEB_DIR", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../web"))]
    pub web_dir: PathBuf,
    /// Development mode: `/chat.html?id=N` signs in as demo user N. Never enable in production.
    #[arg(long, env = "DEV_LOGIN", default_value_t = false)]
    pub dev_login: bool,
    /// Largest text frame, in bytes.
    #[arg(long, env = "HUB_MAX_FRAME_BYTES", default_value_t = HubLimits::default().max_frame_bytes)]
    pub max_frame_bytes: usize,
    /// Longest message text, in characters.
    #[arg(long, env = "HUB_MAX_TEXT_CHARS", default_value_t = HubLimits::default().max_text_chars)]
    pub max_text_chars: usize,
    /// Sustained frames per second per connection.
    #[arg(long, env = "HUB_RATE_PER_SEC", default_value_t = HubLimits::default().rate_per_sec)]
    pub rate_per_sec: u32,
    /// Burst of frames above the sustained rate.
    #[arg(long, env = "HUB_RATE_BURST", default_value_t = HubLimits::default().rate_burst)]
    pub rate_burst: u32,
    /// Seconds between server pings.
    #[arg(long, env = "HUB_HEARTBEAT_SECS", default_value_t = HubLimits::default().heartbeat_secs)]
    pub heartbeat_secs: u64,
    /// Seconds without any frame from a client before it is disconnected.
    #[arg(long, env = "HUB_IDLE_TIMEOUT_SECS", default_value_t = HubLimits::default().idle_timeout_secs)]
    pub idle_timeout_secs: u64,
    /// Most messages one catch-up (cmd 30) replays per conversation.
    #[arg(long, env = "HUB_CATCH_UP_PAGE", default_value_t = HubLimits::default().catch_up_page)]
    pub catch_up_page: u32,
    /// Most messages one catch-up replays in all (the rest is listed in `more`).
    #[arg(long, env = "HUB_CATCH_UP_MAX_ROWS", default_value_t = 2000)]
    pub catch_up_max_rows: u32,
    /// Most bytes of frames one catch-up replays in all (the rest is listed in `more`).
    #[arg(long, env = "HUB_CATCH_UP_MAX_BYTES", default_value_t = 1024 * 1024)]
    pub catch_up_max_bytes: usize,
    /// Frames queued for one connection before it counts as too slow and is disconnected.
    #[arg(long, env = "HUB_OUTBOUND_QUEUE", default_value_t = 1024)]
    pub outbound_queue: usize,
    /// Bytes queued for one connection before it counts as too slow and is disconnected.
    #[arg(long, env = "HUB_OUTBOUND_QUEUE_BYTES", default_value_t = 1024 * 1024)]
    pub outbound_queue_bytes: usize,
    /// Seconds a socket may take no data (its client does not read) before it is disconnected.
    #[arg(long, env = "HUB_WRITE_TIMEOUT_SECS", default_value_t = 20)]
    pub write_timeout_secs: u64,
    /// Most groups a user may create or join.
    #[arg(long, env = "HUB_MAX_GROUPS_PER_USER", default_value_t = 500)]
    pub max_groups_per_user: u32,
    /// NATS server of a cluster of hubs (`nats://host:4222`); unset: one hub, no broker.
    #[arg(long, env = "NATS_URL")]
    pub nats_url: Option<String>,
    /// Prefix of this cluster's NATS subjects (clusters sharing a NATS server need their own).
    #[arg(long, env = "NATS_SUBJECT_PREFIX", default_value = "natter")]
    pub nats_subject_prefix: String,
    /// Name of this hub node in a cluster; unset: a random one at start.
    #[arg(long, env = "HUB_NODE_ID")]
    pub node_id: Option<String>,
    /// Most messages written by one group commit.
    #[arg(long, env = "HUB_COMMIT_BATCH_MAX", default_value_t = 2048)]
    pub commit_batch_max: usize,
    /// Media limits, published at `/api/v1/config` (the upload service reads the same variables).
    #[command(flatten)]
    pub media: MediaLimitsArgs,
}

impl Config {
    /// Defaults for tests: port 0 on loopback, the given database.
    pub fn for_tests(database_url: String) -> Self {
        let mut config = Self::parse_from(["natter-hub"]);
        config.addr = "127.0.0.1:0".parse().expect("valid address");
        config.database_url = database_url;
        config.token_secret = "test-secret".into();
        config
    }

    pub fn token_ttl(&self) -> Duration {
        Duration::from_secs(self.token_ttl_hours * 3600)
    }

    /// The limits published to clients.
    pub fn hub_limits(&self) -> HubLimits {
        HubLimits {
            max_frame_bytes: self.max_frame_bytes,
            max_text_chars: self.max_text_chars,
            rate_per_sec: self.rate_per_sec,
            rate_burst: self.rate_burst,
            heartbeat_secs: self.heartbeat_secs,
            idle_timeout_secs: self.idle_timeout_secs,
            catch_up_page: self.catch_up_page,
            ..HubLimits::default()
        }
    }
}
