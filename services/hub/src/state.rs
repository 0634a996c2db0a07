//! The state every handler can reach: a small, cheap-to-clone handle.

use std::sync::Arc;

use axum::extract::FromRef;
use natter_common::TokenKeys;
use natter_db::Pool;

use crate::{config::Config, realtime::Realtime};

/// Shared state of the hub's routes; each field can be extracted on its own (`State<Realtime>`).
#[derive(Clone, FromRef)]
pub struct AppState {
    pub pool: Pool,
    pub keys: TokenKeys,
    pub config: Arc<Config>,
    pub realtime: Realtime,
}
