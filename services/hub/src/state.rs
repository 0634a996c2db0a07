//! The state every handler can reach: a small, cheap-to-clone handle.

use std::sync::Arc;

use axum::extract::FromRef;
use natter_common::TokenKeys;
use natter_db::Pool;

use crate::{config::Config, realtime::Realtime};

/// Shared state of the hub's routes.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub keys: TokenKeys,
    pub config: Arc<Config>,
    pub realtime: Realtime,
}

impl FromRef<AppState> for TokenKeys {
    fn from_ref(state: &AppState) -> Self {
        state.keys.clone()
    }
}
