//! Finding people: `GET /users?q=`, `GET /users/{id}`.

use axum::{Json, Router, extract::State, routing::get};
use natter_common::AuthUser;
use natter_db::users;
use natter_protocol::User;
use serde::Deserialize;

use crate::{
    error::{ApiError, ApiResult},
    extract::{Path, Query},
    state::AppState,
};

/// Most users one search returns.
const SEARCH_LIMIT: i64 = 20;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(search))
        .route("/users/{id}", get(by_id))
}

#[derive(Debug, Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

#[tracing::instrument(skip(state, me), fields(user = me.id()))]
async fn search(
    State(state): State<AppState>,
    me: AuthUser,
    Query(query): Query<SearchQuery>,
) -> ApiResult<Json<Vec<User>>> {
    let q = query.q.trim();
    if q.is_empty() || q.chars().count() > 64 {
        return Err(ApiError::Invalid("q must be 1 to 64 characters".into()));
    }
    let client = state.pool.get().await?;
    Ok(Json(users::search(&client, q, SEARCH_LIMIT).await?))
}

#[tracing::instrument(skip(state, me), fields(user = me.id()))]
async fn by_id(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<User>> {
    let client = state.pool.get().await?;
    let user = users::by_id(&client, id)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    Ok(Json(user))
}
