//! Run-time pieces shared by the hub and the upload service.

pub mod auth;
pub mod media_limits;
pub mod shutdown;
pub mod telemetry;
pub mod token;

pub use auth::{AuthError, AuthUser};
pub use token::{Claims, TokenError, TokenKeys};
