//! Builds the upload service (pool, storage client, router) and runs it until a shutdown signal.

use std::{future::Future, net::SocketAddr, sync::Arc};

use axum::{
    Router,
    http::{HeaderValue, Method, header},
};
use natter_common::TokenKeys;
use tokio::{net::TcpListener, sync::Semaphore};
use tower_http::{cors::CorsLayer, trace::TraceLayer};

use crate::{config::Config, routes, state::AppState, storage::Storage, sweeper};

/// A built upload service, bound to its port, not yet serving.
pub struct Application {
    listener: TcpListener,
    router: Router,
    /// Kept for the background sweeper of expired direct uploads.
    state: AppState,
}

impl Application {
    /// Connects to the database (migrating it) and storage, and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        if config.token_secret == crate::config::DEV_TOKEN_SECRET {
            tracing::warn!("TOKEN_SECRET is the development default; set a secret in production");
        }
        natter_common::telemetry::metrics_handle();
        let pool = natter_db::connect(&config.database_url, 8).await?;
        let storage = Storage::connect(&config).await;
        let state = AppState {
            keys: TokenKeys::new(
                config.token_secret.as_bytes(),
                std::time::Duration::from_secs(3600),
            ),
            pool,
            storage,
            limits: Arc::new(config.media.limits()),
            intake: Arc::new(Semaphore::new(config.upload_concurrency.max(1))),
            decoding: Arc::new(Semaphore::new(config.decode_concurrency.max(1))),
            config: Arc::new(config.clone()),
        };
        let listener = TcpListener::bind(config.addr).await?;
        let router = routes::router(&state)
            .layer(cors(&config.cors_origins))
            .layer(TraceLayer::new_for_http())
            .with_state(state.clone());
        Ok(Self {
            listener,
            router,
            state,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
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
        let served = axum::serve(self.listener, self.router.into_make_service())
            .with_graceful_shutdown(shutdown)
            .await;
        sweeper.abort();
        served?;
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
