//! Run-time pieces shared by the hub and the upload service.
//!
//! - [`settings`]: the database URL, the token secret and its rule, the development switch.
//! - [`server`]: binding and serving (header-read timeout, client address, graceful shutdown).
//! - [`health`]: `/healthz`, `/readyz` from named checks, and the `/metrics` router.
//! - [`error`]: the one JSON error rendering (cause logged, never sent).
//! - [`headers`]: Content-Security-Policy and the other security headers.
//! - [`auth`], [`token`]: signed tokens and the extractors that verify them.
//! - [`client_addr`]: the client of a request behind trusted proxies.

pub mod auth;
pub mod client_addr;
pub mod error;
pub mod headers;
pub mod health;
pub mod media_limits;
pub mod server;
pub mod settings;
pub mod shutdown;
pub mod telemetry;
pub mod token;

pub use auth::{AuthError, AuthUser, UrlAuthUser};
pub use client_addr::ClientAddr;
pub use error::HttpError;
pub use token::{Claims, TokenError, TokenKeys};
