//! The one error type of the upload service, mapped to a status and a code in one place and
//! rendered by `natter_common::error` (the cause of a 5xx is logged, never sent).

use axum::{
    extract::multipart::MultipartError,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use natter_common::{AuthError, HttpError};
use natter_db::DbError;

/// Everything an upload call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// 400: the request is malformed (no file field, bad JSON, bad id).
    #[error("{0}")]
    BadRequest(String),
    /// 401: missing, invalid or expired token.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// 404: no such media, or not visible to the caller.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 413: larger than the limit for its kind.
    #[error("{0}")]
    TooLarge(String),
    /// 415: not a supported type, or not the type it claims to be.
    #[error("{0}")]
    UnsupportedType(String),
    /// 422: the bytes do not decode (truncated, corrupt, too many pixels, too long or short).
    #[error("{0}")]
    Unprocessable(String),
    /// 503: storage or database unreachable; nothing was kept.
    #[error("storage unavailable, try again")]
    Unavailable(#[source] anyhow::Error),
    /// 500: a bug; the cause is logged, never sent.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type UploadResult<T> = Result<T, UploadError>;

impl HttpError for UploadError {
    fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Auth(auth) => auth.status(),
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Auth(auth) => auth.code(),
            Self::NotFound(_) => "not_found",
            Self::TooLarge(_) => "too_large",
            Self::UnsupportedType(_) => "unsupported_type",
            Self::Unprocessable(_) => "unprocessable",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    fn retry_after(&self) -> Option<std::time::Duration> {
        matches!(self, Self::Unavailable(_)).then(|| std::time::Duration::from_secs(1))
    }
}

impl IntoResponse for UploadError {
    fn into_response(self) -> Response {
        metrics::counter!("natter_upload_errors_total", "code" => self.code()).increment(1);
        natter_common::error::render(&self)
    }
}

impl From<DbError> for UploadError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Pool(_) => Self::Unavailable(e.into()),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<natter_db::PoolError> for UploadError {
    fn from(e: natter_db::PoolError) -> Self {
        DbError::from(e).into()
    }
}

impl From<MultipartError> for UploadError {
    fn from(e: MultipartError) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::TooLarge("the upload is larger than allowed".into())
        } else {
            Self::BadRequest(e.body_text())
        }
    }
}
