//! Accounts: `POST /register`, `POST /login`, `GET /me`.
//!
//! Register and login are limited per client address and per username before any database or
//! password work, and their argon2 work waits for one of the few password hashers.

use axum::{Json, Router, extract::State, http::StatusCode, routing::get, routing::post};

use crate::extract::Json as Body;
use natter_common::{AuthUser, ClientAddr};
use natter_db::users;
use natter_protocol::{AuthResponse, LoginRequest, RegisterRequest, User};

use crate::{
    error::{ApiError, ApiResult},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/register", post(register))
        .route("/login", post(login))
        .route("/me", get(me))
}

/// A PHC string that no password matches, verified for unknown usernames so that a login takes
/// as long whether or not the user exists.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2YJ1lq7dkGbbnK7RCHUPUOwBuKsvPXvvSO3pY7kbQ5E";

#[tracing::instrument(skip(state, body), fields(username = %body.username, client = %client.0))]
async fn register(
    State(state): State<AppState>,
    client: ClientAddr,
    Body(body): Body<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<AuthResponse>)> {
    state.guards.sign_in(client, &body.username)?;
    let username = parse_username(&body.username)?;
    if !(8..=128).contains(&body.password.chars().count()) {
        return Err(ApiError::Invalid(
            "password must be 8 to 128 characters".into(),
        ));
    }
    let nickname = parse_nickname(body.nickname.as_deref().unwrap_or(&username))?;
    let hash = state.guards.passwords().hash(body.password).await?;
    let client = state.pool.get().await?;
    let user = users::create(&client, &username, &nickname, &hash)
        .await
        .map_err(|e| {
            if e.is_constraint("users_username_key") {
                ApiError::Conflict("that username is taken")
            } else {
                e.into()
            }
        })?;
    Ok((StatusCode::CREATED, Json(signed_in(&state, user))))
}

#[tracing::instrument(skip(state, body), fields(username = %body.username, client = %client.0))]
async fn login(
    State(state): State<AppState>,
    client: ClientAddr,
    Body(body): Body<LoginRequest>,
) -> ApiResult<Json<AuthResponse>> {
    state.guards.sign_in(client, &body.username)?;
    let username = body.username.trim().to_lowercase();
    let client = state.pool.get().await?;
    let found = users::with_hash(&client, &username).await?;
    drop(client);
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, DUMMY_HASH.to_owned()),
    };
    let matches = state.guards.passwords().verify(body.password, hash).await?;
    match (user, matches) {
        (Some(user), true) => Ok(Json(signed_in(&state, user))),
        _ => Err(ApiError::BadCredentials),
    }
}

#[tracing::instrument(skip(state, user), fields(user = user.id()))]
async fn me(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<User>> {
    let client = state.pool.get().await?;
    let me = users::by_id(&client, user.id())
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    Ok(Json(me))
}

/// The answer of a successful register or login.
pub fn signed_in(state: &AppState, user: User) -> AuthResponse {
    let token = state.keys.issue(user.id, &user.username);
    AuthResponse { user, token }
}

/// Usernames are 3 to 32 of `a-z 0-9 _`, stored lowercase.
fn parse_username(raw: &str) -> ApiResult<String> {
    let username = raw.trim().to_lowercase();
    let valid = (3..=32).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if valid {
        Ok(username)
    } else {
        Err(ApiError::Invalid(
            "username must be 3 to 32 letters, digits or _".into(),
        ))
    }
}

/// Nicknames are 1 to 32 characters, without control characters.
fn parse_nickname(raw: &str) -> ApiResult<String> {
    let nickname = raw.trim();
    let valid =
        (1..=32).contains(&nickname.chars().count()) && !nickname.chars().any(char::is_control);
    if valid {
        Ok(nickname.to_owned())
    } else {
        Err(ApiError::Invalid(
            "nickname must be 1 to 32 characters".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(parse_username(" Alice_1 ").ok().as_deref(), Some("alice_1"));
        for bad in ["ab", "with space", "émile", &"x".repeat(33)] {
            assert!(parse_username(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn nicknames_refuse_control_characters() {
        assert!(parse_nickname("Al\u{0}ice").is_err());
        assert!(parse_nickname("").is_err());
        assert_eq!(parse_nickname(" Émile ").ok().as_deref(), Some("Émile"));
    }
}
