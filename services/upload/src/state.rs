//! The state every handler can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use natter_common::TokenKeys;
use natter_db::Pool;
use natter_protocol::MediaLimits;
use tokio::sync::Semaphore;

use crate::{config::Config, storage::Storage};

/// Shared state of the upload service's routes; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub keys: TokenKeys,
    pub storage: Storage,
    pub limits: Arc<MediaLimits>,
    pub config: Arc<Config>,
    /// Caps how many upload bodies are held in memory at once.
    pub intake: Arc<Semaphore>,
    /// Caps how many uploads are decoded at once, so memory stays bounded.
    pub decoding: Arc<Semaphore>,
}

impl FromRef<AppState> for TokenKeys {
    fn from_ref(state: &AppState) -> Self {
        state.keys.clone()
    }
}
