//! The upload service's HTTP routes, one module per feature, merged here.

use axum::Router;

use crate::state::AppState;

mod access;
mod direct;
mod health;
mod store;
mod upload;

pub use health::readiness;

/// Every route of the upload service (health and metrics: `natter_common::health`).
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(upload::router(state))
        .merge(direct::router())
        .merge(access::router())
}
