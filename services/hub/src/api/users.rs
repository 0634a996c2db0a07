//! Finding people: `GET /users?q=`, `GET /users/{id}`.

use axum::{Json, Router, extract::State, routing::get};
use natter_common::AuthUser;
use natter_db::users;
use natter_protocol::User;

use super::search::{SEARCH_LIMIT, SearchQuery};
use crate::{
    error::{ApiError, ApiResult},
    extract::{Path, Query},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(search))
        .route("/users/{id}", get(by_id))
}

#[tracing::instrument(skip(state, me), fields(user = me.id()))]
async fn search(
    State(state): State<AppState>,
    me: AuthUser,
    Query(query): Query<SearchQuery>,
) -> ApiResult<Json<Vec<User>>> {
    let q = query.term(false)?;
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
