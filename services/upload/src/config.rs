//! Settings of the upload service, from the environment (or flags), with defaults that work locally.

use std::{net::SocketAddr, time::Duration};

use clap::Parser;
use natter_common::{
    media_limits::MediaLimitsArgs,
    server::HttpArgs,
    settings::{DatabaseArgs, SecretArgs},
};

/// Settings of the upload service. Every field is an environment variable or a flag.
#[derive(Debug, Clone, Parser)]
#[command(name = "natter-upload", version, about)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "UPLOAD_ADDR", default_value = "127.0.0.1:8089")]
    pub addr: SocketAddr,
    /// Address of `/metrics`, apart from the public one so that no load balancer exposes it.
    #[arg(long, env = "METRICS_ADDR", default_value = "127.0.0.1:9089")]
    pub metrics_addr: SocketAddr,
    /// The hub's database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Apply the migrations at start (the hub does too); off where this service's database role
    /// may not change the schema.
    #[arg(long, env = "DATABASE_MIGRATE", default_value_t = true, action = clap::ArgAction::Set)]
    pub database_migrate: bool,
    /// The secret that verifies the hub's tokens, by the hub's rule (`DEV_LOGIN` alone allows
    /// the development secret).
    #[command(flatten)]
    pub secrets: SecretArgs,
    #[command(flatten)]
    pub http: HttpArgs,
    /// S3 endpoint (MinIO, Garage); empty for AWS's default.
    #[arg(long, env = "S3_ENDPOINT", default_value = "http://127.0.0.1:3900")]
    pub s3_endpoint: String,
    /// S3 endpoint as browsers reach it, for presigned URLs; defaults to `S3_ENDPOINT`.
    #[arg(long, env = "S3_PUBLIC_ENDPOINT")]
    pub s3_public_endpoint: Option<String>,
    /// S3 region.
    #[arg(long, env = "S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,
    /// Bucket holding the media.
    #[arg(long, env = "S3_BUCKET", default_value = "natter")]
    pub s3_bucket: String,
    /// Path-style addressing (MinIO, Garage); false for AWS virtual-hosted style.
    #[arg(long, env = "S3_FORCE_PATH_STYLE", default_value_t = true, action = clap::ArgAction::Set)]
    pub s3_force_path_style: bool,
    /// S3 access key; when unset, the AWS credential chain (task role, profile, ...) is used.
    #[arg(long, env = "AWS_ACCESS_KEY_ID")]
    pub s3_access_key_id: Option<String>,
    /// S3 secret key, with `AWS_ACCESS_KEY_ID`.
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub s3_secret_access_key: Option<String>,
    /// Page origins allowed to call this service (comma-separated).
    #[arg(
        long,
        env = "CORS_ORIGINS",
        default_value = "http://127.0.0.1:8088,http://localhost:8088",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,
    /// Seconds a presigned URL stays valid.
    #[arg(long, env = "PRESIGN_TTL_SECS", default_value_t = 300)]
    pub presign_ttl_secs: u64,
    /// Most upload bodies read at once; further uploads wait, so memory stays bounded.
    #[arg(long, env = "UPLOAD_CONCURRENCY", default_value_t = 16)]
    pub upload_concurrency: usize,
    /// Most uploads decoded at once (each on a blocking thread).
    #[arg(long, env = "DECODE_CONCURRENCY", default_value_t = 4)]
    pub decode_concurrency: usize,
    /// Seconds between sweeps of direct uploads that expired without being completed.
    #[arg(long, env = "PENDING_SWEEP_SECS", default_value_t = 300)]
    pub pending_sweep_secs: u64,
    /// Allocations at least this large get their own memory map, given back to the system when
    /// freed (glibc's `M_MMAP_THRESHOLD`); 0 keeps the C library's adaptive default.
    #[arg(long, env = "UPLOAD_MMAP_THRESHOLD_BYTES", default_value_t = 1024 * 1024)]
    pub mmap_threshold_bytes: usize,
    #[command(flatten)]
    pub media: MediaLimitsArgs,
}

impl Config {
    /// How long presigned URLs (PUT and GET) stay valid.
    pub fn presign_ttl(&self) -> Duration {
        Duration::from_secs(self.presign_ttl_secs)
    }

    /// How often expired direct uploads are swept.
    pub fn pending_sweep(&self) -> Duration {
        Duration::from_secs(self.pending_sweep_secs.max(1))
    }
}
