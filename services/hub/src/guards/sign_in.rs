//! Sign-in attempts (`/login`, `/register`) limited per client address and per username, before
//! any database or password work, so that a script can neither guess passwords quickly nor keep
//! the password hashers busy.

use std::{net::IpAddr, num::NonZeroU32, time::Duration};

use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};

/// Longest username kept as a limiter key (longer names are cut; they are invalid anyway).
const MAX_KEY_CHARS: usize = 64;

/// The two sign-in limiters.
pub struct SignInLimits {
    per_addr: Option<DefaultKeyedRateLimiter<IpAddr>>,
    per_username: Option<DefaultKeyedRateLimiter<String>>,
}

impl SignInLimits {
    /// `per_addr` and `per_username` attempts per minute (each also the burst); 0 turns one off.
    pub fn new(per_addr: u32, per_username: u32) -> Self {
        Self {
            per_addr: keyed(per_addr),
            per_username: keyed(per_username),
        }
    }

    /// Counts one attempt; `Err(wait)` when the address or the username is over its limit.
    pub fn check(&self, addr: IpAddr, username: &str) -> Result<(), Duration> {
        let now = DefaultClock::default().now();
        if let Some(limiter) = &self.per_addr {
            limiter
                .check_key(&addr)
                .map_err(|not_until| not_until.wait_time_from(now))?;
        }
        if let Some(limiter) = &self.per_username {
            let key: String = username
                .trim()
                .to_lowercase()
                .chars()
                .take(MAX_KEY_CHARS)
                .collect();
            limiter
                .check_key(&key)
                .map_err(|not_until| not_until.wait_time_from(now))?;
        }
        Ok(())
    }

    /// Forgets keys whose limit has fully recovered, so that sprayed usernames and addresses do
    /// not grow the tables for ever.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.per_addr {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some(limiter) = &self.per_username {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

fn keyed<K: std::hash::Hash + Eq + Clone>(per_min: u32) -> Option<DefaultKeyedRateLimiter<K>> {
    NonZeroU32::new(per_min).map(|n| RateLimiter::keyed(Quota::per_minute(n)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_or_a_username_over_its_limit_is_told_how_long_to_wait() {
        let limits = SignInLimits::new(3, 2);
        let here: IpAddr = "192.0.2.1".parse().unwrap();
        let there: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limits.check(here, "alice").is_ok());
        assert!(limits.check(here, "Alice ").is_ok());
        let wait = limits
            .check(there, "alice")
            .expect_err("third try on alice");
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert!(limits.check(here, "bob").is_ok());
        assert!(limits.check(here, "carol").is_err(), "fourth try from here");
        assert!(SignInLimits::new(0, 0).check(here, "alice").is_ok());
    }
}
