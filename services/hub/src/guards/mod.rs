//! What keeps floods from taking the hub down: sign-in rate limits, the password hashers'
//! queue, and the caps on WebSocket connections.

mod connections;
mod sign_in;

use std::{
    sync::{Arc, Weak},
    time::Duration,
};

use natter_common::ClientAddr;

pub use connections::{Admission, Caps, Refusal, Slot, total_from_fd_limit};
pub use sign_in::SignInLimits;

use crate::{
    config::Config,
    error::{ApiError, ApiResult},
    password::{GateError, PasswordGate},
};

/// How often limiter keys that have recovered are forgotten.
const FORGET_EVERY: Duration = Duration::from_secs(60);

/// The guards of one hub; cheap to clone.
#[derive(Clone)]
pub struct Guards {
    inner: Arc<Inner>,
}

struct Inner {
    passwords: PasswordGate,
    sign_in: SignInLimits,
    connections: Admission,
}

impl Guards {
    /// Guards with the configured limits; `total_conns` is the cap on all connections.
    pub fn new(config: &Config, total_conns: usize) -> Self {
        let inner = Arc::new(Inner {
            passwords: PasswordGate::new(config.password_hash_concurrency),
            sign_in: SignInLimits::new(
                config.signin_per_addr_per_min,
                config.signin_per_username_per_min,
            ),
            connections: Admission::new(Caps {
                per_user: config.max_conns_per_user,
                per_addr: config.max_conns_per_addr,
                total: total_conns,
            }),
        });
        tokio::spawn(forget_idle(Arc::downgrade(&inner)));
        Self { inner }
    }

    /// The password hashers.
    pub fn passwords(&self) -> &PasswordGate {
        &self.inner.passwords
    }

    /// Counts a sign-in attempt; 429 with the wait when over a limit.
    pub fn sign_in(&self, client: ClientAddr, username: &str) -> ApiResult<()> {
        self.inner
            .sign_in
            .check(client.limit_key(), username)
            .map_err(|retry_after| {
                metrics::counter!("natter_signin_throttled_total").increment(1);
                ApiError::Throttled { retry_after }
            })
    }

    /// A place for one more WebSocket of `user` from `client`.
    pub fn admit(&self, user: i64, client: ClientAddr) -> Result<Slot, Refusal> {
        self.inner.connections.admit(user, client)
    }

    /// The connection caps in force.
    pub fn caps(&self) -> Caps {
        self.inner.connections.caps()
    }
}

impl From<GateError> for ApiError {
    fn from(e: GateError) -> Self {
        match e {
            GateError::Busy(_) => Self::DependencyDown(e.into()),
            GateError::Failed(cause) => Self::Internal(cause),
        }
    }
}

/// Forgets recovered limiter keys every minute, until the guards are dropped.
async fn forget_idle(inner: Weak<Inner>) {
    loop {
        tokio::time::sleep(FORGET_EVERY).await;
        let Some(inner) = inner.upgrade() else { return };
        inner.sign_in.forget_idle();
    }
}
