//! The database error type, with constraint violations told apart by name.

use deadpool_postgres::PoolError;
use tokio_postgres::error::SqlState;

/// What went wrong talking to PostgreSQL.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A unique or check constraint refused the write; `constraint` is its name.
    #[error("constraint {constraint} violated")]
    Constraint { constraint: String },
    /// No connection could be had from the pool.
    #[error("database unavailable: {0}")]
    Pool(#[from] PoolError),
    /// The driver's error, with its causes (the server's message, the TLS failure) in the text.
    #[error("database error: {}", with_causes(.0))]
    Postgres(tokio_postgres::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] refinery::Error),
    #[error("bad database url: {0}")]
    Config(String),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

pub type DbResult<T> = Result<T, DbError>;

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        let constraint = e.as_db_error().and_then(|db| {
            let violation = [
                SqlState::UNIQUE_VIOLATION,
                SqlState::CHECK_VIOLATION,
                SqlState::FOREIGN_KEY_VIOLATION,
            ]
            .contains(db.code());
            violation.then(|| db.constraint().unwrap_or_default().to_owned())
        });
        match constraint {
            Some(constraint) => Self::Constraint { constraint },
            None => Self::Postgres(e),
        }
    }
}

/// An error followed by its `source()` chain: tokio-postgres leaves the cause out of `Display`.
fn with_causes(error: &tokio_postgres::Error) -> String {
    let mut text = error.to_string();
    let mut next = std::error::Error::source(error);
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}

impl DbError {
    /// Whether this is a violation of the named constraint.
    pub fn is_constraint(&self, name: &str) -> bool {
        matches!(self, Self::Constraint { constraint } if constraint == name)
    }
}
