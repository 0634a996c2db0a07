//! Builds the upload service (pool, storage client, router) and runs it until a shutdown signal.

use std::{future::Future, net::SocketAddr, sync::Arc};

use axum::{
    Router,
    http::{HeaderValue, Method, header},
};
use natter_common::{headers, health, server::Server, telemetry};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower_http::{cors::CorsLayer, trace::TraceLayer};

use crate::{config::Config, routes, state::AppState, storage::Storage, sweeper};

/// A built upload service, bound to its ports, not yet serving.
pub struct Application {
    server: Server,
    metrics: Server,
    router: Router,
    /// Kept for the background sweeper of expired direct uploads.
    state: AppState,
}

impl Application {
    /// Checks the secret, connects to the database (migrating it unless told not to) and
    /// storage, and binds the public and the metrics listeners.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let keys = config.secrets.keys(std::time::Duration::from_secs(3600))?;
        telemetry::metrics_handle();
        let pool = if config.database_migrate {
            natter_db::connect(&config.database.url, 8).await?
        } else {
            natter_db::connect_without_migrating(&config.database.url, 8).await?
        };
        let storage = Storage::connect(&config).await;
        let state = AppState {
            keys,
            pool,
            storage,
            limits: Arc::new(config.media.limits()),
            intake: Arc::new(Semaphore::new(config.upload_concurrency.max(1))),
            decoding: Arc::new(Semaphore::new(config.decode_concurrency.max(1))),
            config: Arc::new(config.clone()),
        };
        let server = Server::bind(config.addr, &config.http).await?;
        let metrics = Server::bind(config.metrics_addr, &config.http).await?;
        let router = routes::router(&state)
            .layer(cors(&config.cors_origins))
            .with_state(state.clone())
            .merge(health::router(routes::readiness(&state)))
            .layer(TraceLayer::new_for_http().make_span_with(telemetry::request_span));
        Ok(Self {
            server,
            metrics,
            router: headers::apply(router, headers::API_POLICY),
            state,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// The address of `/metrics`.
    pub fn metrics_addr(&self) -> SocketAddr {
        self.metrics.local_addr()
    }

    /// Serves until `shutdown` completes, letting requests in flight finish.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let config = &self.state.config;
        // A PUT that began just before its URL expired may still be arriving: wait one more TTL.
        let sweeper = tokio::spawn(sweeper::run(
            self.state.clone(),
            config.pending_sweep(),
            config.presign_ttl(),
        ));
        let stopping = CancellationToken::new();
        let metrics_stop = stopping.clone();
        let metrics = tokio::spawn(self.metrics.serve(health::metrics_router(), async move {
            metrics_stop.cancelled().await
        }));
        let served = self.server.serve(self.router, shutdown).await;
        stopping.cancel();
        sweeper.abort();
        served?;
        metrics.await??;
        tracing::info!("upload service stopped");
        Ok(())
    }
}

/// The page's origins may call this service with a token.
fn cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim()).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .allow_credentials(true)
}
