//! Builds the hub (pool, realtime core, guards, router) and runs it until a shutdown signal,
//! then drains.

use std::{future::Future, net::SocketAddr, sync::Arc};

use anyhow::Context;
use axum::Router;
use natter_common::{headers, health, server::Server, telemetry};
use tower_http::{
    services::{ServeDir, ServeFile},
    trace::TraceLayer,
};

use crate::{
    api,
    config::Config,
    guards::{self, Guards},
    realtime::Realtime,
    state::AppState,
};

/// A built hub, bound to its ports, not yet serving.
pub struct Application {
    server: Server,
    metrics: Server,
    router: Router,
    realtime: Realtime,
}

impl Application {
    /// Checks the secret, connects to the database (migrating it), starts the realtime core and
    /// binds the public and the metrics listeners.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let keys = config.secrets.keys(config.token_ttl())?;
        let policy = page_policy(&config)?;
        // Install the metrics recorder before anything records.
        telemetry::metrics_handle();
        let pool = natter_db::connect(&config.database.url, config.database_pool_size).await?;
        if config.secrets.dev_login {
            tracing::warn!(
                "DEV_LOGIN is on: /chat.html?id=N signs in as a demo user; never use it in production"
            );
            api::seed_demo(&pool).await?;
        }
        let config = Arc::new(config);
        let guards = Guards::new(&config, total_connections(&config));
        tracing::info!(caps = ?guards.caps(), "connection caps");
        let realtime = Realtime::start(pool.clone(), config.clone()).await?;
        let readiness = api::readiness(&pool);
        let state = AppState {
            keys,
            pool,
            config: config.clone(),
            realtime: realtime.clone(),
            guards,
        };
        let server = Server::bind(config.addr, &config.http)
            .await?
            .with_nodelay();
        let metrics = Server::bind(config.metrics_addr, &config.http).await?;
        let router = router(state, &config)
            .merge(health::router(readiness))
            .layer(TraceLayer::new_for_http().make_span_with(telemetry::request_span));
        Ok(Self {
            server,
            metrics,
            router: headers::apply(router, &policy),
            realtime,
        })
    }

    /// The address actually bound (port 0 in tests becomes a real port).
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// The address of `/metrics`.
    pub fn metrics_addr(&self) -> SocketAddr {
        self.metrics.local_addr()
    }

    /// Serves until `shutdown` completes, then stops accepting, flushes the writer and closes
    /// every WebSocket with a close frame.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let realtime = self.realtime.clone();
        let stopping = realtime.stopping();
        let metrics_stop = stopping.clone();
        let metrics = tokio::spawn(self.metrics.serve(health::metrics_router(), async move {
            metrics_stop.cancelled().await
        }));
        let signal = tokio::spawn(async move {
            shutdown.await;
            realtime.shutdown().await;
        });
        // Chat frames are small and latency-bound, hence TCP_NODELAY on the public listener.
        self.server
            .serve(self.router, async move { stopping.cancelled().await })
            .await?;
        signal.await?;
        metrics.await??;
        tracing::info!("hub stopped");
        Ok(())
    }
}

/// The page's Content-Security-Policy: its own origin, plus the upload service and the store
/// that media redirect to.
fn page_policy(config: &Config) -> anyhow::Result<String> {
    let mut origins = Vec::new();
    for url in std::iter::once(&config.upload_public_url).chain(&config.media_public_origins) {
        let origin = headers::origin_of(url).with_context(|| {
            format!("`{url}` is not an http(s) URL (UPLOAD_PUBLIC_URL, MEDIA_PUBLIC_ORIGINS)")
        })?;
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    Ok(headers::page_policy(&origins))
}

/// `HUB_MAX_CONNS`, or what the open-file limit (raised to its hard maximum) allows.
fn total_connections(config: &Config) -> usize {
    if config.max_conns > 0 {
        return config.max_conns;
    }
    let fds = rlimit::increase_nofile_limit(u64::MAX).unwrap_or_else(|error| {
        tracing::warn!(%error, "cannot read the open-file limit; assuming 1024");
        1024
    });
    guards::total_from_fd_limit(fds, config.database_pool_size)
}

fn router(state: AppState, config: &Config) -> Router {
    let page = config.web_dir.join("chat.html");
    Router::new()
        .merge(api::router())
        .merge(crate::realtime::router())
        .route_service("/", ServeFile::new(page))
        .fallback_service(ServeDir::new(&config.web_dir))
        .with_state(state)
}
