//! The `?q=` of the search routes (users and groups), validated in one place.

use serde::Deserialize;

use crate::error::{ApiError, ApiResult};

/// Longest search term, in characters.
const MAX_TERM_CHARS: usize = 64;
/// Most results one search returns.
pub const SEARCH_LIMIT: i64 = 20;

/// `?q=term`.
#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

impl SearchQuery {
    /// The trimmed term; at most 64 characters, and not empty unless `allow_empty`.
    pub fn term(&self, allow_empty: bool) -> ApiResult<&str> {
        let term = self.q.trim();
        let length = term.chars().count();
        if length > MAX_TERM_CHARS || (length == 0 && !allow_empty) {
            let least = if allow_empty { 0 } else { 1 };
            return Err(ApiError::Invalid(format!(
                "q must be {least} to {MAX_TERM_CHARS} characters"
            )));
        }
        Ok(term)
    }
}
