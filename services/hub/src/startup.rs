//! Builds the hub (pool, realtime core, router) and runs it until a shutdown signal, then drains.

use std::{future::Future, net::SocketAddr, sync::Arc};

use axum::{Router, serve::ListenerExt};
use natter_common::TokenKeys;
use tokio::net::TcpListener;
use tower_http::{
    services::{ServeDir, ServeFile},
    trace::TraceLayer,
};

use crate::{api, config::Config, realtime::Realtime, state::AppState};

/// A built hub, bound to its port, not yet serving.
pub struct Application {
    listener: TcpListener,
    router: Router,
    realtime: Realtime,
}

impl Application {
    /// Connects to the database (migrating it), starts the realtime core and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        if config.token_secret == crate::config::DEV_TOKEN_SECRET {
            tracing::warn!("TOKEN_SECRET is the development default; set a secret in production");
        }
        // Install the metrics recorder before anything records.
        natter_common::telemetry::metrics_handle();
        let pool = natter_db::connect(&config.database_url, config.database_pool_size).await?;
        if config.dev_login {
            tracing::warn!(
                "DEV_LOGIN is on: /chat.html?id=N signs in as a demo user; never use it in production"
            );
            api::seed_demo(&pool).await?;
        }
        let config = Arc::new(config);
        let realtime = Realtime::start(pool.clone(), config.clone()).await?;
        let state = AppState {
            keys: TokenKeys::new(config.token_secret.as_bytes(), config.token_ttl()),
            pool,
            config: config.clone(),
            realtime: realtime.clone(),
        };
        let listener = TcpListener::bind(config.addr).await?;
        Ok(Self {
            listener,
            router: router(state, &config),
            realtime,
        })
    }

    /// The address actually bound (port 0 in tests becomes a real port).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then stops accepting, flushes the writer and closes
    /// every WebSocket with a close frame.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let realtime = self.realtime.clone();
        let stopping = realtime.stopping();
        // Chat frames are small and latency-bound: Nagle's algorithm would hold a frame back until
        // the client acks the previous one (up to its delayed-ack timeout, 40 ms on Linux).
        // The per-connection writer already gathers queued frames into one write.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::debug!(%error, "could not set TCP_NODELAY");
            }
        });
        let server = axum::serve(listener, self.router.into_make_service())
            .with_graceful_shutdown(async move { stopping.cancelled().await });
        let signal = tokio::spawn(async move {
            shutdown.await;
            realtime.shutdown().await;
        });
        server.await?;
        signal.await?;
        tracing::info!("hub stopped");
        Ok(())
    }
}

fn router(state: AppState, config: &Config) -> Router {
    let page = config.web_dir.join("chat.html");
    Router::new()
        .merge(api::router())
        .merge(crate::realtime::router())
        .route_service("/", ServeFile::new(page))
        .fallback_service(ServeDir::new(&config.web_dir))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
