//! Groups: create, join, leave, list mine, find, and see members.
//!
//! Members of a group see its member list; to anyone else the group's members are a 404.

use axum::{Json, Router, extract::State, http::StatusCode, routing::get, routing::post};
use natter_common::AuthUser;
use natter_db::{
    groups,
    memberships::{self, Joined, TooManyGroups},
};
use natter_protocol::{CreateGroupRequest, Group, Member};

use super::search::{SEARCH_LIMIT, SearchQuery};
use crate::{
    error::{ApiError, ApiResult},
    extract::{Json as Body, Path, Query},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/groups", get(mine).post(create))
        .route("/groups/search", get(search))
        .route("/groups/{id}/join", post(join))
        .route("/groups/{id}/leave", post(leave))
        .route("/groups/{id}/members", get(members))
}

#[tracing::instrument(skip(state, me, body), fields(user = me.id()))]
async fn create(
    State(state): State<AppState>,
    me: AuthUser,
    Body(body): Body<CreateGroupRequest>,
) -> ApiResult<(StatusCode, Json<Group>)> {
    let name = body.name.trim();
    if !(1..=64).contains(&name.chars().count()) || name.chars().any(char::is_control) {
        return Err(ApiError::Invalid(
            "group name must be 1 to 64 characters".into(),
        ));
    }
    let mut client = state.pool.get().await?;
    let max = i64::from(state.config.max_groups_per_user);
    let group = memberships::create_group(&mut client, me.id(), name, max)
        .await?
        .map_err(too_many)?;
    state.realtime.group_joined(me.id(), group.id);
    Ok((StatusCode::CREATED, Json(group)))
}

fn too_many(e: TooManyGroups) -> ApiError {
    ApiError::Limit {
        code: "too_many_groups",
        message: e.to_string(),
    }
}

#[tracing::instrument(skip(state, me), fields(user = me.id()))]
async fn mine(State(state): State<AppState>, me: AuthUser) -> ApiResult<Json<Vec<Group>>> {
    let client = state.pool.get().await?;
    Ok(Json(groups::of_user(&client, me.id()).await?))
}

#[tracing::instrument(skip(state, me), fields(user = me.id()))]
async fn search(
    State(state): State<AppState>,
    me: AuthUser,
    Query(query): Query<SearchQuery>,
) -> ApiResult<Json<Vec<Group>>> {
    let q = query.term(true)?;
    let client = state.pool.get().await?;
    Ok(Json(groups::search(&client, q, SEARCH_LIMIT).await?))
}

#[tracing::instrument(skip(state, me), fields(user = me.id()))]
async fn join(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Group>> {
    let mut client = state.pool.get().await?;
    groups::by_id(&client, id)
        .await?
        .ok_or(ApiError::NotFound("group"))?;
    let max = i64::from(state.config.max_groups_per_user);
    let joined = memberships::join_group(&mut client, id, me.id(), max)
        .await?
        .map_err(too_many)?;
    if joined == Joined::Added {
        state.realtime.group_joined(me.id(), id);
    }
    let group = groups::by_id(&client, id)
        .await?
        .ok_or(ApiError::NotFound("group"))?;
    Ok(Json(group))
}

#[tracing::instrument(skip(state, me), fields(user = me.id()))]
async fn leave(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let client = state.pool.get().await?;
    if !groups::leave(&client, id, me.id()).await? {
        return Err(ApiError::NotFound("group membership"));
    }
    state.realtime.group_left(me.id(), id);
    Ok(StatusCode::NO_CONTENT)
}

#[tracing::instrument(skip(state, me), fields(user = me.id()))]
async fn members(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<Member>>> {
    let client = state.pool.get().await?;
    if !groups::is_member(&client, id, me.id()).await? {
        return Err(ApiError::NotFound("group"));
    }
    let found = groups::members(&client, id).await?;
    let with_presence = found
        .into_iter()
        .map(|user| Member {
            online: state.realtime.is_online(user.id),
            user,
        })
        .collect();
    Ok(Json(with_presence))
}
