//! Authentication as a handler parameter.
//!
//! [`AuthUser`] takes the token from `Authorization: Bearer` only: every JSON route. [`UrlAuthUser`]
//! also takes `?token=`, for the few URLs a browser opens without headers (the WebSocket, media in
//! `<img src>`). No cookie is ever accepted, so no other site can make a browser send a token.

use axum::{
    extract::{FromRef, FromRequestParts},
    http::{StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};

use crate::error::HttpError;
use crate::token::{Claims, TokenError, TokenKeys};

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

impl HttpError for AuthError {
    fn status(&self) -> StatusCode {
        StatusCode::UNAUTHORIZED
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Missing => "unauthenticated",
            Self::Token(TokenError::Expired) => "token_expired",
            Self::Token(TokenError::Invalid) => "invalid_token",
            Self::UnknownAccount => "unknown_account",
        }
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        crate::error::render(&self)
    }
}

impl<S> FromRequestParts<S> for AuthUser
where
    TokenKeys: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or(AuthError::Missing)?;
        Ok(Self(TokenKeys::from_ref(state).verify(token)?))
    }
}

/// The signed-in user of a URL a browser opens without headers: `Authorization: Bearer`, else
/// `?token=`. Only `/ws` and the media routes take it; the token never reaches a log (request
/// spans record the path, not the query).
#[derive(Debug, Clone)]
pub struct UrlAuthUser(pub Claims);

impl UrlAuthUser {
    pub fn id(&self) -> i64 {
        self.0.sub
    }
}

impl<S> FromRequestParts<S> for UrlAuthUser
where
    TokenKeys: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)
            .or_else(|| query(parts))
            .ok_or(AuthError::Missing)?;
        Ok(Self(TokenKeys::from_ref(state).verify(token)?))
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value
        .strip_prefix("Bearer ")
        .map(str::trim)
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
