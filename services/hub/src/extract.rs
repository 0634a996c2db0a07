//! Extractors whose rejections are [`ApiError`]s, so bad input gets our JSON error format.

use axum::extract::{FromRequest, FromRequestParts};

use crate::error::ApiError;

/// JSON body; a malformed one is a 400 (syntax) or 422 (shape) in our error format.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

/// Path parameters; malformed ones are a 400 in our error format.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// Query string; a malformed one is a 400 in our error format.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);
