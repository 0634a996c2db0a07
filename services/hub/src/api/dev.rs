//! Development mode only (`DEV_LOGIN=true`): demo users and `POST /dev/login {id}`, which lets
//! `/chat.html?id=N` sign in as demo user N. With the mode off the route answers 404.

use axum::{Json, Router, extract::State, routing::post};
use natter_db::{Pool, contacts, groups, users};
use natter_protocol::{AuthResponse, DevLoginRequest};

use super::accounts::signed_in;
use crate::{
    error::{ApiError, ApiResult},
    extract::Json as Body,
    password,
    state::AppState,
};

/// The demo users, in `?id=N` order: (username, nickname).
pub const DEMO_USERS: [(&str, &str); 3] = [("alice", "Alice"), ("bob", "Bob"), ("carol", "Carol")];
/// Password of every demo user (development only).
pub const DEMO_PASSWORD: &str = "password";
/// Name of the demo group all demo users belong to.
pub const DEMO_GROUP: &str = "Demo";

pub fn router() -> Router<AppState> {
    Router::new().route("/dev/login", post(dev_login))
}

#[tracing::instrument(skip(state, body), fields(demo = body.id))]
async fn dev_login(
    State(state): State<AppState>,
    Body(body): Body<DevLoginRequest>,
) -> ApiResult<Json<AuthResponse>> {
    if !state.config.secrets.dev_login {
        return Err(ApiError::NotFound("route"));
    }
    let (username, _) = body
        .id
        .checked_sub(1)
        .and_then(|index| usize::try_from(index).ok())
        .and_then(|index| DEMO_USERS.get(index))
        .ok_or(ApiError::NotFound("demo user"))?;
    let client = state.pool.get().await?;
    let (user, _) = users::with_hash(&client, username)
        .await?
        .ok_or(ApiError::NotFound("demo user"))?;
    Ok(Json(signed_in(&state, user)))
}

/// Creates the demo users (mutual contacts) and the demo group, once; later calls change nothing.
pub async fn seed_demo(pool: &Pool) -> anyhow::Result<()> {
    let mut client = pool.get().await?;
    let mut ids = Vec::new();
    for (username, nickname) in DEMO_USERS {
        let id = match users::with_hash(&client, username).await? {
            Some((user, _)) => user.id,
            None => {
                let hash =
                    tokio::task::spawn_blocking(|| password::hash_now(DEMO_PASSWORD)).await??;
                users::create(&client, username, nickname, &hash).await?.id
            }
        };
        ids.push(id);
    }
    for (i, a) in ids.iter().enumerate() {
        for b in &ids[i + 1..] {
            contacts::link(&client, *a, *b).await?;
        }
    }
    let existing = groups::of_user(&client, ids[0]).await?;
    let group = match existing.into_iter().find(|g| g.name == DEMO_GROUP) {
        Some(group) => group,
        None => groups::create(&mut client, ids[0], DEMO_GROUP).await?,
    };
    for id in &ids {
        groups::join(&client, group.id, *id).await?;
    }
    tracing::info!("demo users alice, bob, carol and the group Demo are ready");
    Ok(())
}
