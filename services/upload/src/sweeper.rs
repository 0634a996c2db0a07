//! Forgets direct uploads that were announced but never completed: their rows, and the objects a
//! browser may have PUT under `pending/` before giving up. Every instance may run it; each expired
//! row is taken by exactly one of them.

use std::time::Duration;

use natter_db::media;

use crate::state::AppState;

/// Pending uploads taken per round.
const BATCH: i64 = 100;

/// Sweeps every `every` until `stop` completes. A pending upload is swept once its URL has been
/// expired for `grace` (a PUT that began in time may still be arriving).
pub async fn run(state: AppState, every: Duration, grace: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match sweep(&state, grace).await {
            Ok(0) => {}
            Ok(swept) => tracing::info!(swept, "expired pending uploads forgotten"),
            Err(e) => tracing::warn!(error = %e, "could not sweep pending uploads"),
        }
    }
}

/// One round: deletes the objects of expired pending uploads, then their rows, in one
/// transaction (a failure leaves the rows for the next round); the number swept.
async fn sweep(state: &AppState, grace: Duration) -> anyhow::Result<usize> {
    let mut client = state.pool.get().await?;
    let transaction = client.transaction().await?;
    let expired = media::lock_expired_pending(&transaction, grace, BATCH).await?;
    for (_, key) in &expired {
        // Deleting an object that was never PUT is not an error.
        state.storage.delete(key).await?;
    }
    let ids: Vec<_> = expired.iter().map(|(id, _)| *id).collect();
    media::delete_pending(&transaction, &ids).await?;
    transaction.commit().await?;
    Ok(expired.len())
}
