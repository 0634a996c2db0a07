//! `GET /healthz` (the process answers), `GET /readyz` (every dependency answers) and the
//! `/metrics` router, which is served on its own address (`METRICS_ADDR`), never on the public one.
//!
//! Readiness is a list of named checks each service supplies (the database, the bucket, a broker
//! later); they run concurrently, each bounded by a timeout, so a dependency that hangs makes
//! `/readyz` answer 503 promptly instead of never. A failure's cause is logged, never sent.

use std::{future::Future, pin::Pin, sync::Arc, time::Duration};

use axum::{Json, Router, extract::State, http::StatusCode, routing::get};
use serde::Serialize;

/// What one check returns: `Err` carries the cause, for the log.
pub type CheckResult = Result<(), String>;
type CheckFn = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = CheckResult> + Send>> + Send + Sync>;

/// The checks `/readyz` runs.
#[derive(Clone)]
pub struct Readiness {
    checks: Vec<(&'static str, CheckFn)>,
    timeout: Duration,
}

impl Readiness {
    /// No checks yet; each check may take at most `timeout`.
    pub fn new(timeout: Duration) -> Self {
        Self {
            checks: Vec::new(),
            timeout,
        }
    }

    /// Adds the check `name`.
    pub fn check<F, Fut>(mut self, name: &'static str, check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = CheckResult> + Send + 'static,
    {
        self.checks
            .push((name, Arc::new(move || Box::pin(check()) as Pin<Box<_>>)));
        self
    }

    /// Runs every check at once; the answer lists each by name.
    pub async fn run(&self) -> Report {
        let runs = self.checks.iter().map(|(name, check)| async move {
            let outcome = match tokio::time::timeout(self.timeout, check()).await {
                Ok(Ok(())) => "ok",
                Ok(Err(cause)) => {
                    tracing::warn!(check = name, %cause, "readiness check failed");
                    "failed"
                }
                Err(_) => {
                    tracing::warn!(check = name, timeout = ?self.timeout, "readiness check timed out");
                    "timeout"
                }
            };
            CheckReport { name, outcome }
        });
        let checks = futures_util::future::join_all(runs).await;
        Report {
            ready: checks.iter().all(|c| c.outcome == "ok"),
            checks,
        }
    }
}

/// The body of `/readyz`.
#[derive(Debug, Serialize)]
pub struct Report {
    pub ready: bool,
    pub checks: Vec<CheckReport>,
}

/// One check's outcome: `ok`, `failed` or `timeout`.
#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub name: &'static str,
    pub outcome: &'static str,
}

/// `/healthz` and `/readyz`, for any router state.
pub fn router<S: Clone + Send + Sync + 'static>(readiness: Readiness) -> Router<S> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready).with_state(Arc::new(readiness)))
}

async fn ready(State(readiness): State<Arc<Readiness>>) -> (StatusCode, Json<Report>) {
    let report = readiness.run().await;
    let status = if report.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(report))
}

/// `/metrics`: the process's Prometheus text.
pub fn metrics_router() -> Router {
    Router::new().route(
        "/metrics",
        get(|| async { crate::telemetry::metrics_handle().render() }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hanging_check_times_out_and_a_failing_one_is_named() {
        let readiness = Readiness::new(Duration::from_millis(50))
            .check("fine", || async { Ok(()) })
            .check("broken", || async { Err("refused".to_owned()) })
            .check("hung", std::future::pending::<CheckResult>);
        let started = std::time::Instant::now();
        let report = readiness.run().await;
        assert!(started.elapsed() < Duration::from_secs(1));
        assert!(!report.ready);
        let outcomes: Vec<_> = report.checks.iter().map(|c| (c.name, c.outcome)).collect();
        assert_eq!(
            outcomes,
            [("fine", "ok"), ("broken", "failed"), ("hung", "timeout")]
        );
    }
}
