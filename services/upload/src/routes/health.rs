//! What `/readyz` checks (the database and the bucket; served by `natter_common::health`), and
//! `GET /api/v1/config`, the limits this service enforces.

use std::time::Duration;

use axum::{Json, Router, extract::State, routing::get};
use natter_common::health::Readiness;
use natter_protocol::MediaLimits;

use crate::state::AppState;

/// Longest one readiness check may take before `/readyz` answers 503.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/config", get(config))
}

/// Ready when PostgreSQL and the bucket answer.
pub fn readiness(state: &AppState) -> Readiness {
    let pool = state.pool.clone();
    let storage = state.storage.clone();
    Readiness::new(CHECK_TIMEOUT)
        .check("database", move || {
            let pool = pool.clone();
            async move {
                let client = pool.get().await.map_err(|e| e.to_string())?;
                client
                    .simple_query("select 1")
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string())
            }
        })
        .check("storage", move || {
            let storage = storage.clone();
            async move { storage.ping().await.map_err(|e| e.to_string()) }
        })
}

async fn config(State(state): State<AppState>) -> Json<MediaLimits> {
    Json((*state.limits).clone())
}
