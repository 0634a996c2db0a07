//! The one error type of the hub's HTTP API, mapped to a status and a code in one place and
//! rendered by `natter_common::error` (the cause of a 5xx is logged, never sent).

use std::time::Duration;

use axum::{
    extract::rejection::{JsonRejection, PathRejection, QueryRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use natter_common::{AuthError, HttpError};
use natter_db::DbError;

use crate::guards::Refusal;

/// Everything a hub API call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request body or parameters are malformed.
    #[error("{0}")]
    BadRequest(String),
    /// 401: missing, invalid or expired token.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// 401: wrong username or password (one message for both, so usernames cannot be probed).
    #[error("wrong username or password")]
    BadCredentials,
    /// 403: signed in, but not allowed (e.g. history of a conversation one is not in).
    #[error("{0}")]
    Forbidden(&'static str),
    /// 404: no such thing, or not visible to the caller.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 409: conflicts with what exists (e.g. username taken).
    #[error("{0}")]
    Conflict(&'static str),
    /// 422: well-formed but invalid values.
    #[error("{0}")]
    Invalid(String),
    /// 409: a per-user limit is reached; `code` names it (`too_many_groups`).
    #[error("{message}")]
    Limit { code: &'static str, message: String },
    /// 429: too many attempts (sign-in) from this address or for this username.
    #[error("too many attempts; try again in {} s", retry_after.as_secs().max(1))]
    Throttled { retry_after: Duration },
    /// 429 or 503: a connection cap refused a WebSocket before the upgrade.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// 503: the hub cannot take the request now (it is shutting down).
    #[error("service unavailable, try again")]
    Unavailable,
    /// 503: a dependency (the database) is unreachable or saturated; the cause is logged.
    #[error("service unavailable, try again")]
    DependencyDown(#[source] anyhow::Error),
    /// 500: a bug or an unexpected failure; the cause is logged, never sent.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl HttpError for ApiError {
    fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Auth(auth) => auth.status(),
            Self::BadCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Limit { .. } => StatusCode::CONFLICT,
            Self::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Refused(refusal) => refusal.status(),
            Self::Unavailable | Self::DependencyDown(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Auth(auth) => auth.code(),
            Self::BadCredentials => "bad_credentials",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::Invalid(_) => "invalid",
            Self::Limit { code, .. } => code,
            Self::Throttled { .. } => "rate_limited",
            Self::Refused(refusal) => refusal.code(),
            Self::Unavailable | Self::DependencyDown(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Throttled { retry_after } => Some(*retry_after),
            Self::Refused(refusal) => refusal.retry_after(),
            Self::Unavailable | Self::DependencyDown(_) => Some(Duration::from_secs(1)),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        natter_common::error::render(&self)
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Pool(_) => Self::DependencyDown(e.into()),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<natter_db::PoolError> for ApiError {
    fn from(e: natter_db::PoolError) -> Self {
        DbError::from(e).into()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        match e {
            // Well-formed JSON of the wrong shape (missing field, wrong type): 422.
            JsonRejection::JsonDataError(_) => Self::Invalid(e.body_text()),
            _ => Self::BadRequest(e.body_text()),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(e: PathRejection) -> Self {
        Self::BadRequest(e.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        Self::BadRequest(e.body_text())
    }
}
