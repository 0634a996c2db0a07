//! Password hashing with argon2id (memory-hard), on blocking threads so the runtime stays
//! responsive, and at most a few at once: each hash takes about 19 MiB and tens of milliseconds,
//! so a flood of sign-ins must queue here rather than take the memory and every core.

use std::{sync::Arc, time::Duration};

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use tokio::sync::Semaphore;

/// Longest a sign-in waits for a hasher before it is answered 503.
const QUEUE_WAIT: Duration = Duration::from_secs(10);

/// The hashers: at most `concurrency` passwords hashed or verified at once.
#[derive(Debug)]
pub struct PasswordGate {
    permits: Arc<Semaphore>,
}

/// Why a password could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("every password hasher was busy for {0:?}")]
    Busy(Duration),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl PasswordGate {
    /// `concurrency` hashers; 0 means twice the cores.
    pub fn new(concurrency: usize) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let permits = if concurrency == 0 {
            2 * cores
        } else {
            concurrency
        };
        Self {
            permits: Arc::new(Semaphore::new(permits)),
        }
    }

    /// Hashes a password into a PHC string (salt and parameters included).
    pub async fn hash(&self, password: String) -> Result<String, GateError> {
        self.run(move || hash_now(&password)).await
    }

    /// Whether `password` matches the stored PHC string.
    pub async fn verify(&self, password: String, phc: String) -> Result<bool, GateError> {
        self.run(move || verify_now(&password, &phc)).await
    }

    /// Runs `work` on a blocking thread once a hasher is free; the permit goes with the work, so
    /// a client that hangs up does not free a hasher that is still busy.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> Result<T, GateError> {
        let permit = tokio::time::timeout(QUEUE_WAIT, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| GateError::Busy(QUEUE_WAIT))?
            .expect("the semaphore is never closed");
        let done = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        });
        Ok(done.await.map_err(anyhow::Error::from)??)
    }
}

/// Hashes at once, on this thread (start-up seeding).
pub fn hash_now(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
}

fn verify_now(password: &str, phc: &str) -> anyhow::Result<bool> {
    let parsed = PasswordHash::new(phc).map_err(|e| anyhow::anyhow!("bad stored hash: {e}"))?;
    Ok(Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let gate = PasswordGate::new(1);
        let phc = gate.hash("correct horse".into()).await.unwrap();
        assert!(
            gate.verify("correct horse".into(), phc.clone())
                .await
                .unwrap()
        );
        assert!(!gate.verify("wrong".into(), phc).await.unwrap());
    }
}
