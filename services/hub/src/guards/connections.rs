//! WebSocket admission: caps on the connections of one user, of one client address and in all,
//! checked before the upgrade so that a refusal is a plain HTTP status the client can read.
//! Each admitted connection holds a [`Slot`]; dropping it gives the place back.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::http::StatusCode;
use natter_common::{ClientAddr, HttpError};

/// The caps; 0 means no cap.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    pub per_user: usize,
    pub per_addr: usize,
    pub total: usize,
}

/// Why a connection was refused before its upgrade.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// 429: this user already has the most connections allowed (one per device).
    #[error("this account already has {0} connections open, the most allowed; close one first")]
    UserFull(usize),
    /// 429: this client address already has the most connections allowed.
    #[error("too many connections from your address ({0}); close some first")]
    AddressFull(usize),
    /// 503: the hub holds as many connections as it can.
    #[error("the server is full; try again shortly")]
    ServerFull,
}

impl Refusal {
    fn reason(&self) -> &'static str {
        match self {
            Self::UserFull(_) => "user",
            Self::AddressFull(_) => "address",
            Self::ServerFull => "total",
        }
    }
}

impl HttpError for Refusal {
    fn status(&self) -> StatusCode {
        match self {
            Self::UserFull(_) | Self::AddressFull(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::ServerFull => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::UserFull(_) | Self::AddressFull(_) => "too_many_connections",
            Self::ServerFull => "server_full",
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        Some(Duration::from_secs(5))
    }
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_user: HashMap<i64, usize>,
    per_addr: HashMap<IpAddr, usize>,
}

/// Counts of live connections against their caps; cheap to clone.
#[derive(Clone)]
pub struct Admission {
    caps: Caps,
    counts: Arc<Mutex<Counts>>,
}

impl Admission {
    pub fn new(caps: Caps) -> Self {
        Self {
            caps,
            counts: Arc::default(),
        }
    }

    /// The caps in force.
    pub fn caps(&self) -> Caps {
        self.caps
    }

    /// A place for one more connection of `user` from `client`, or why there is none.
    pub fn admit(&self, user: i64, client: ClientAddr) -> Result<Slot, Refusal> {
        let addr = client.limit_key();
        let mut counts = self.counts.lock().expect("admission lock");
        let full = |count: usize, cap: usize| cap > 0 && count >= cap;
        let refusal = if full(counts.total, self.caps.total) {
            Some(Refusal::ServerFull)
        } else if full(
            counts.per_user.get(&user).copied().unwrap_or(0),
            self.caps.per_user,
        ) {
            Some(Refusal::UserFull(self.caps.per_user))
        } else if full(
            counts.per_addr.get(&addr).copied().unwrap_or(0),
            self.caps.per_addr,
        ) {
            Some(Refusal::AddressFull(self.caps.per_addr))
        } else {
            None
        };
        if let Some(refusal) = refusal {
            drop(counts);
            metrics::counter!("natter_ws_refused_total", "reason" => refusal.reason()).increment(1);
            tracing::info!(user, %addr, %refusal, "connection refused");
            return Err(refusal);
        }
        counts.total += 1;
        *counts.per_user.entry(user).or_default() += 1;
        *counts.per_addr.entry(addr).or_default() += 1;
        Ok(Slot {
            counts: self.counts.clone(),
            user,
            addr,
        })
    }
}

/// One admitted connection's place; given back when dropped.
#[derive(Debug)]
pub struct Slot {
    counts: Arc<Mutex<Counts>>,
    user: i64,
    addr: IpAddr,
}

impl std::fmt::Debug for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Counts")
            .field("total", &self.total)
            .finish()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().expect("admission lock");
        counts.total -= 1;
        release(&mut counts.per_user, self.user);
        release(&mut counts.per_addr, self.addr);
    }
}

fn release<K: std::hash::Hash + Eq>(map: &mut HashMap<K, usize>, key: K) {
    if let Some(count) = map.get_mut(&key) {
        *count -= 1;
        if *count == 0 {
            map.remove(&key);
        }
    }
}

/// The total cap when none is configured: what the open-file limit leaves once a reserve for
/// the database pool, HTTP requests, logs and files is set aside (a tenth, at least 256).
pub fn total_from_fd_limit(fd_limit: u64, pool_size: usize) -> usize {
    let limit = usize::try_from(fd_limit).unwrap_or(usize::MAX);
    let reserve = (limit / 10).max(256) + pool_size;
    limit.saturating_sub(reserve).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(text: &str) -> ClientAddr {
        ClientAddr(text.parse().unwrap())
    }

    #[test]
    fn each_cap_refuses_with_its_own_status_and_slots_give_places_back() {
        let admission = Admission::new(Caps {
            per_user: 2,
            per_addr: 3,
            total: 4,
        });
        let a = client("192.0.2.1");
        let b = client("192.0.2.2");
        let first = admission.admit(1, a).unwrap();
        let _second = admission.admit(1, a).unwrap();
        assert_eq!(admission.admit(1, b).unwrap_err(), Refusal::UserFull(2));
        let _third = admission.admit(2, a).unwrap();
        let refused = admission.admit(3, a).unwrap_err();
        assert_eq!(refused, Refusal::AddressFull(3));
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        let _fourth = admission.admit(3, b).unwrap();
        let full = admission.admit(4, client("192.0.2.3")).unwrap_err();
        assert_eq!(full.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(full, Refusal::ServerFull);
        drop(first);
        assert!(
            admission.admit(4, client("192.0.2.3")).is_ok(),
            "a place came back"
        );
    }

    #[test]
    fn no_cap_when_zero_and_the_total_follows_the_fd_limit() {
        let open = Admission::new(Caps {
            per_user: 0,
            per_addr: 0,
            total: 0,
        });
        let slots: Vec<_> = (0..100)
            .map(|_| open.admit(1, client("::1")).unwrap())
            .collect();
        assert_eq!(slots.len(), 100);
        assert_eq!(total_from_fd_limit(65_536, 16), 65_536 - 6553 - 16);
        assert_eq!(total_from_fd_limit(1024, 16), 1024 - 256 - 16);
        assert_eq!(total_from_fd_limit(100, 16), 1);
    }
}
