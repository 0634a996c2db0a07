//! The hub's HTTP routes. Each module owns the router of one feature; they are merged here.

use axum::Router;

use crate::state::AppState;

mod accounts;
mod client_config;
mod contacts;
mod conversations;
mod dev;
mod groups;
mod health;
mod search;
mod users;

pub use dev::seed_demo;
pub use health::readiness;

/// Every HTTP route of the hub under `/api/v1` (the WebSocket route lives in `realtime`, health
/// and metrics in `natter_common::health`).
pub fn router() -> Router<AppState> {
    Router::new().nest(
        "/api/v1",
        Router::new()
            .merge(client_config::router())
            .merge(accounts::router())
            .merge(users::router())
            .merge(contacts::router())
            .merge(groups::router())
            .merge(conversations::router())
            .merge(dev::router()),
    )
}
