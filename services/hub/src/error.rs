//! The one error type of the hub's HTTP API, mapped to a status and a JSON body in one place.

use axum::{
    Json,
    extract::rejection::{JsonRejection, PathRejection, QueryRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use natter_common::AuthError;
use natter_db::DbError;
use natter_protocol::ErrorBody;

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
    /// 503: the database is unreachable.
    #[error("service unavailable, try again")]
    Unavailable,
    /// 500: a bug or an unexpected failure; the cause is logged, never sent.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::Auth(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            Self::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            Self::Limit { code, .. } => (StatusCode::CONFLICT, code),
            Self::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Auth(auth) = self {
            return auth.into_response();
        }
        let (status, code) = self.status_and_code();
        match &self {
            Self::Internal(cause) => tracing::error!(error = ?cause, "internal error"),
            Self::Unavailable => tracing::warn!("database unavailable"),
            _ => {}
        }
        (status, Json(ErrorBody::new(code, self.to_string()))).into_response()
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Pool(_) => Self::Unavailable,
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
