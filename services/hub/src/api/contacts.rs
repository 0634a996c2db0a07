//! Contacts (mutual): `POST /contacts`, `GET /contacts`, `DELETE /contacts/{id}`.

use axum::{Json, Router, extract::State, http::StatusCode, routing::delete, routing::get};
use natter_common::AuthUser;
use natter_db::{contacts, users};
use natter_protocol::{AddContactRequest, Contact};

use crate::{
    error::{ApiError, ApiResult},
    extract::{Json as Body, Path},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contacts", get(list).post(add))
        .route("/contacts/{id}", delete(remove))
}

#[tracing::instrument(skip(state, me), fields(user = me.id()))]
async fn add(
    State(state): State<AppState>,
    me: AuthUser,
    Body(body): Body<AddContactRequest>,
) -> ApiResult<(StatusCode, Json<Contact>)> {
    if body.user_id == me.id() {
        return Err(ApiError::Invalid(
            "you cannot add yourself as a contact".into(),
        ));
    }
    let client = state.pool.get().await?;
    let user = users::by_id(&client, body.user_id)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    contacts::link(&client, me.id(), user.id).await?;
    state.realtime.contacts_changed(me.id(), user.id, true);
    let online = state.realtime.is_online(user.id);
    Ok((StatusCode::CREATED, Json(Contact { user, online })))
}

#[tracing::instrument(skip(state, me), fields(user = me.id()))]
async fn list(State(state): State<AppState>, me: AuthUser) -> ApiResult<Json<Vec<Contact>>> {
    let client = state.pool.get().await?;
    let found = contacts::of_user(&client, me.id()).await?;
    let with_presence = found
        .into_iter()
        .map(|user| Contact {
            online: state.realtime.is_online(user.id),
            user,
        })
        .collect();
    Ok(Json(with_presence))
}

#[tracing::instrument(skip(state, me), fields(user = me.id()))]
async fn remove(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let client = state.pool.get().await?;
    if !contacts::unlink(&client, me.id(), id).await? {
        return Err(ApiError::NotFound("contact"));
    }
    state.realtime.contacts_changed(me.id(), id, false);
    Ok(StatusCode::NO_CONTENT)
}
