//! What the hub's `/readyz` checks (served by `natter_common::health`; `/metrics` is on
//! `METRICS_ADDR`).

use std::time::Duration;

use natter_common::health::Readiness;
use natter_db::Pool;

/// Longest one readiness check may take before `/readyz` answers 503.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The hub is ready when PostgreSQL answers.
pub fn readiness(pool: &Pool) -> Readiness {
    let pool = pool.clone();
    Readiness::new(CHECK_TIMEOUT).check("database", move || {
        let pool = pool.clone();
        async move {
            let client = pool.get().await.map_err(|e| e.to_string())?;
            client
                .simple_query("select 1")
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }
    })
}
