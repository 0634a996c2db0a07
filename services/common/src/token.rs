//! Signed, expiring session tokens (JWT, HMAC-SHA256).
//!
//! Both services verify a token with the shared secret alone, without a database hit.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// What a token says: who the user is and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: i64,
    /// The username, for logs.
    pub name: String,
    /// Issued at, seconds since the epoch.
    pub iat: u64,
    /// Expires at, seconds since the epoch.
    pub exp: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token has expired")]
    Expired,
    #[error("token is invalid")]
    Invalid,
}

/// The keys that sign and verify tokens; cheap to clone.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl: Duration,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl TokenKeys {
    /// Keys from a shared secret; tokens live for `ttl`.
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            ttl,
        }
    }

    /// Signs a token for this user.
    pub fn issue(&self, user_id: i64, username: &str) -> String {
        let now = unix_now();
        let claims = Claims {
            sub: user_id,
            name: username.to_owned(),
            iat: now,
            exp: now + self.ttl.as_secs(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HMAC signing cannot fail")
    }

    /// Verifies the signature and the expiry of a token.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_token_verifies_and_names_its_user() {
        let keys = TokenKeys::new(b"secret", Duration::from_secs(60));
        let claims = keys.verify(&keys.issue(7, "alice")).unwrap();
        assert_eq!((claims.sub, claims.name.as_str()), (7, "alice"));
    }

    #[test]
    fn token_signed_with_another_secret_is_refused() {
        let mine = TokenKeys::new(b"secret", Duration::from_secs(60));
        let theirs = TokenKeys::new(b"other", Duration::from_secs(60));
        assert!(matches!(
            mine.verify(&theirs.issue(7, "x")),
            Err(TokenError::Invalid)
        ));
    }

    #[test]
    fn expired_token_is_refused() {
        let keys = TokenKeys::new(b"secret", Duration::ZERO);
        let token = keys.issue(7, "x");
        std::thread::sleep(Duration::from_millis(1100));
        assert!(matches!(keys.verify(&token), Err(TokenError::Expired)));
    }
}
