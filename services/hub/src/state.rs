//! The state every handler can reach: a small, cheap-to-clone handle.

use std::sync::Arc;

use axum::extract::FromRef;
use natter_common::TokenKeys;
use natter_db::Pool;

use crate::{config::Config, guards::Guards, realtime::Realtime};

/// Shared state of the hub's routes; each field can be extracted on its own (`State<Guards>`).
#[derive(Clone, FromRef)]
pub struct AppState {
    pub pool: Pool,
    pub keys: TokenKeys,
    pub config: Arc<Config>,
    pub realtime: Realtime,
    /// Sign-in limits, password hashers, connection caps.
    pub guards: Guards,
}
