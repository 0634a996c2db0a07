//! `GET /healthz`, `GET /readyz` (database and bucket answer), `GET /metrics`, `GET /api/v1/config`.

use axum::{Json, Router, extract::State, http::StatusCode, routing::get};
use natter_protocol::MediaLimits;

use super::store::storage_error;
use crate::{error::UploadResult, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route(
            "/metrics",
            get(|| async { natter_common::telemetry::metrics_handle().render() }),
        )
        .route("/api/v1/config", get(config))
}

async fn ready(State(state): State<AppState>) -> UploadResult<(StatusCode, &'static str)> {
    let client = state.pool.get().await?;
    client
        .simple_query("select 1")
        .await
        .map_err(|e| crate::error::UploadError::Unavailable(e.into()))?;
    state.storage.ping().await.map_err(storage_error)?;
    Ok((StatusCode::OK, "ready"))
}

async fn config(State(state): State<AppState>) -> Json<MediaLimits> {
    Json((*state.limits).clone())
}
