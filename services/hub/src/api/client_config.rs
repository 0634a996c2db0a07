//! `GET /api/v1/config`: the limits clients must respect.

use axum::{Json, Router, extract::State, routing::get};
use natter_protocol::ClientConfig;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/config", get(client_config))
}

async fn client_config(State(state): State<AppState>) -> Json<ClientConfig> {
    let config = &state.config;
    Json(ClientConfig {
        upload_url: config.upload_public_url.clone(),
        dev_login: config.secrets.dev_login,
        hub: config.hub_limits(),
        media: config.media.limits(),
    })
}
