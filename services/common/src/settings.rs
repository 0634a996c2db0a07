//! The settings both services read the same way: the database, the token secret and the
//! development switch. Each service flattens these into its own configuration.

use std::time::Duration;

use clap::Args;

use crate::token::TokenKeys;

/// The database, when `DATABASE_URL` is not set: the local PostgreSQL of `scripts/dev-up`.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/natter";

/// The secret used when `TOKEN_SECRET` is unset and `DEV_LOGIN` is on; refused otherwise.
pub const DEV_TOKEN_SECRET: &str = "natter-development-secret-never-use-in-production";

/// Secrets known from this repository's history (defaults of earlier versions, of the compose
/// file): as public as the development secret, so refused the same way.
const KNOWN_DEV_SECRETS: [&str; 3] = [
    DEV_TOKEN_SECRET,
    "natter-dev-secret-change-me",
    "natter-compose-dev-secret-change-me",
];

/// Fewest bytes of a token secret (HMAC-SHA256 wants a key as long as its output).
pub const MIN_SECRET_BYTES: usize = 32;

/// Where the database is.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// PostgreSQL URL; the database is created if missing. `sslmode=require|verify-ca|verify-full`
    /// (with `sslrootcert=<PEM file>`) connects over TLS.
    #[arg(
        long = "database-url",
        env = "DATABASE_URL",
        default_value = DEFAULT_DATABASE_URL,
        hide_env_values = true
    )]
    pub url: String,
}

/// The token secret, and the development switch that alone allows a development secret.
#[derive(Debug, Clone, Args)]
pub struct SecretArgs {
    /// HMAC secret signing tokens, at least 32 bytes; the same in both services.
    #[arg(long, env = "TOKEN_SECRET", hide_env_values = true)]
    pub token_secret: Option<String>,
    /// Development mode (local stacks only): the hub's demo sign-in, and the development token
    /// secret accepted when `TOKEN_SECRET` is unset.
    #[arg(long, env = "DEV_LOGIN", default_value_t = false)]
    pub dev_login: bool,
}

/// Why a service refuses to start with the token secret it was given.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error(
        "TOKEN_SECRET is not set: set a random secret of at least {MIN_SECRET_BYTES} bytes \
         (`openssl rand -hex 32`), or DEV_LOGIN=true on a local stack"
    )]
    Missing,
    #[error(
        "TOKEN_SECRET is a development secret published in the natter repository; \
         set a random one, or DEV_LOGIN=true on a local stack"
    )]
    Development,
    #[error("TOKEN_SECRET is {0} bytes; it must be at least {MIN_SECRET_BYTES}")]
    TooShort(usize),
}

impl SecretArgs {
    /// Settings for tests: this secret, development mode off.
    pub fn with_secret(secret: &str) -> Self {
        Self {
            token_secret: Some(secret.to_owned()),
            dev_login: false,
        }
    }

    /// The secret to sign with, by one rule for both services: a development secret only with
    /// `DEV_LOGIN` on (and a warning), otherwise at least [`MIN_SECRET_BYTES`] bytes.
    pub fn secret(&self) -> Result<&str, SecretError> {
        let secret = match self.token_secret.as_deref() {
            None | Some("") if self.dev_login => DEV_TOKEN_SECRET,
            None | Some("") => return Err(SecretError::Missing),
            Some(given) => given,
        };
        if KNOWN_DEV_SECRETS.contains(&secret) {
            if !self.dev_login {
                return Err(SecretError::Development);
            }
            tracing::warn!(
                "TOKEN_SECRET is a development secret (DEV_LOGIN is on); never use it in production"
            );
        } else if secret.len() < MIN_SECRET_BYTES {
            return Err(SecretError::TooShort(secret.len()));
        }
        Ok(secret)
    }

    /// Keys signing and verifying tokens that live for `ttl`, if the secret passes [`Self::secret`].
    pub fn keys(&self, ttl: Duration) -> Result<TokenKeys, SecretError> {
        Ok(TokenKeys::new(self.secret()?.as_bytes(), ttl))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(secret: Option<&str>, dev_login: bool) -> SecretArgs {
        SecretArgs {
            token_secret: secret.map(str::to_owned),
            dev_login,
        }
    }

    #[test]
    fn an_unset_secret_is_refused_unless_in_development_mode() {
        assert_eq!(args(None, false).secret(), Err(SecretError::Missing));
        assert_eq!(args(Some(""), false).secret(), Err(SecretError::Missing));
        assert_eq!(args(None, true).secret(), Ok(DEV_TOKEN_SECRET));
    }

    #[test]
    fn development_secrets_are_refused_unless_in_development_mode() {
        for known in KNOWN_DEV_SECRETS {
            assert_eq!(
                args(Some(known), false).secret(),
                Err(SecretError::Development)
            );
            assert_eq!(args(Some(known), true).secret(), Ok(known));
        }
    }

    #[test]
    fn a_secret_needs_32_bytes_in_every_mode() {
        let short = "x".repeat(31);
        let long = "x".repeat(32);
        for dev in [false, true] {
            assert_eq!(
                args(Some(&short), dev).secret(),
                Err(SecretError::TooShort(31))
            );
            assert_eq!(args(Some(&long), dev).secret(), Ok(long.as_str()));
        }
    }
}
