//! `GET /healthz` (the process is up), `GET /readyz` (the database answers), `GET /metrics`.

use axum::{Router, extract::State, http::StatusCode, routing::get};

use crate::{error::ApiResult, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route(
            "/metrics",
            get(|| async { natter_common::telemetry::metrics_handle().render() }),
        )
}

async fn ready(State(state): State<AppState>) -> ApiResult<(StatusCode, &'static str)> {
    let client = state.pool.get().await?;
    client
        .simple_query("select 1")
        .await
        .map_err(natter_db::DbError::from)?;
    Ok((StatusCode::OK, "ready"))
}
