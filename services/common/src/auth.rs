//! The `AuthUser` extractor: authentication as a handler parameter.
//!
//! The token is read from `Authorization: Bearer`, then the `natter_token` cookie, then `?token=`
//! (for `<img src>` and WebSocket URLs, which cannot carry headers).

use axum::{
    Json,
    extract::{FromRef, FromRequestParts},
    http::{StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use natter_protocol::ErrorBody;

use crate::token::{Claims, TokenError, TokenKeys};

/// Name of the cookie that may carry the token.
pub const TOKEN_COOKIE: &str = "natter_token";

/// The signed-in user, as the token says.
#[derive(Debug, Clone)]
pub struct AuthUser(pub Claims);

impl AuthUser {
    pub fn id(&self) -> i64 {
        self.0.sub
    }
}

/// Why a request is not authenticated; always a 401.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("sign in first: no token was sent")]
    Missing,
    #[error("{0}")]
    Token(#[from] TokenError),
    /// The token is valid but its account does not exist (checked where a database is at hand).
    #[error("the account of this token does not exist; sign in again")]
    UnknownAccount,
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let code = match self {
            Self::Missing => "unauthenticated",
            Self::Token(TokenError::Expired) => "token_expired",
            Self::Token(TokenError::Invalid) => "invalid_token",
            Self::UnknownAccount => "unknown_account",
        };
        (
            StatusCode::UNAUTHORIZED,
            Json(ErrorBody::new(code, self.to_string())),
        )
            .into_response()
    }
}

impl<S> FromRequestParts<S> for AuthUser
where
    TokenKeys: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = token_from_parts(parts).ok_or(AuthError::Missing)?;
        let keys = TokenKeys::from_ref(state);
        Ok(Self(keys.verify(token)?))
    }
}

/// Finds the token in a request: bearer header, cookie, then query string.
pub fn token_from_parts(parts: &Parts) -> Option<&str> {
    bearer(parts)
        .or_else(|| cookie(parts))
        .or_else(|| query(parts))
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

fn cookie(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == TOKEN_COOKIE)
        .map(|(_, value)| value)
        .filter(|t| !t.is_empty())
}

fn query(parts: &Parts) -> Option<&str> {
    parts
        .uri
        .query()?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == "token")
        .map(|(_, value)| value)
        .filter(|t| !t.is_empty())
}
