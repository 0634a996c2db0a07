//! Settings of the hub, from the environment (or flags), with defaults that work locally.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::Parser;
use natter_common::{
    media_limits::MediaLimitsArgs,
    server::HttpArgs,
    settings::{DatabaseArgs, SecretArgs},
};
use natter_protocol::HubLimits;

/// Settings of the hub. Every field is an environment variable (preferred in deployment) or a flag.
#[derive(Debug, Clone, Parser)]
#[command(name = "natter-hub", version, about)]
pub struct Config {
    /// Address to listen on (the seed's port).
    #[arg(long, env = "HUB_ADDR", default_value = "127.0.0.1:8088")]
    pub addr: SocketAddr,
    /// Address of `/metrics`, apart from the public one so that no load balancer exposes it.
    #[arg(long, env = "METRICS_ADDR", default_value = "127.0.0.1:9088")]
    pub metrics_addr: SocketAddr,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Most PostgreSQL connections in the pool.
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = 16)]
    pub database_pool_size: usize,
    /// The token secret (the upload service must have the same) and the development switch.
    #[command(flatten)]
    pub secrets: SecretArgs,
    #[command(flatten)]
    pub http: HttpArgs,
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
    /// Origins the page may load media from besides itself and the upload service: the store the
    /// media redirects go to (`S3_PUBLIC_ENDPOINT`), for the page's Content-Security-Policy.
    #[arg(
        long,
        env = "MEDIA_PUBLIC_ORIGINS",
        default_value = "http://127.0.0.1:3900",
        value_delimiter = ','
    )]
    pub media_public_origins: Vec<String>,
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
    /// Passwords hashed at once (argon2 takes about 19 MiB and tens of milliseconds each);
    /// 0: twice the cores.
    #[arg(long, env = "PASSWORD_HASH_CONCURRENCY", default_value_t = 0)]
    pub password_hash_concurrency: usize,
    /// Sign-in attempts (`/login`, `/register`) per client address per minute; 0: no limit.
    #[arg(long, env = "SIGNIN_PER_ADDR_PER_MIN", default_value_t = 30)]
    pub signin_per_addr_per_min: u32,
    /// Sign-in attempts per username per minute; 0: no limit.
    #[arg(long, env = "SIGNIN_PER_USERNAME_PER_MIN", default_value_t = 10)]
    pub signin_per_username_per_min: u32,
    /// Most WebSocket connections of one user (one per device); 0: no limit.
    #[arg(long, env = "HUB_MAX_CONNS_PER_USER", default_value_t = 20)]
    pub max_conns_per_user: usize,
    /// Most WebSocket connections from one client address (IPv6: one /64); 0: no limit.
    #[arg(long, env = "HUB_MAX_CONNS_PER_ADDR", default_value_t = 1000)]
    pub max_conns_per_addr: usize,
    /// Most WebSocket connections in all; 0: from the open-file limit (raised to its maximum at
    /// start), less a reserve for the database, HTTP requests and files.
    #[arg(long, env = "HUB_MAX_CONNS", default_value_t = 0)]
    pub max_conns: usize,
    /// Media limits, published at `/api/v1/config` (the upload service reads the same variables).
    #[command(flatten)]
    pub media: MediaLimitsArgs,
}

impl Config {
    /// Defaults for tests: ports 0 on loopback, the given database, a test secret.
    pub fn for_tests(database_url: String) -> Self {
        let mut config = Self::parse_from(["natter-hub"]);
        config.addr = "127.0.0.1:0".parse().expect("valid address");
        config.metrics_addr = "127.0.0.1:0".parse().expect("valid address");
        config.database.url = database_url;
        config.secrets = SecretArgs::with_secret("natter-hub-test-secret-of-32-bytes-or-more");
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
