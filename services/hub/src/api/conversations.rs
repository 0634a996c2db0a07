//! Conversations: the list with unread counts, history pages, and opening a direct conversation.

use axum::{Json, Router, extract::State, routing::get, routing::post};
use natter_common::AuthUser;
use natter_db::{conversations, history, users};
use natter_protocol::{ConversationSummary, DirectConversation, HistoryPage, OpenDirectRequest};
use serde::Deserialize;

use crate::{
    error::{ApiError, ApiResult},
    extract::{Json as Body, Path, Query},
    state::AppState,
};

/// History page size when the client does not say.
const DEFAULT_PAGE: u32 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/conversations", get(list))
        .route("/conversations/direct", post(open_direct))
        .route("/conversations/{conv}/messages", get(messages))
}

/// Every conversation of the caller, most recent activity first.
#[tracing::instrument(skip(state, me), fields(user = me.id()))]
async fn list(
    State(state): State<AppState>,
    me: AuthUser,
) -> ApiResult<Json<Vec<ConversationSummary>>> {
    let client = state.pool.get().await?;
    Ok(Json(history::conversation_list(&client, me.id()).await?))
}

/// Gets (or creates) the direct conversation with another user, before any message.
#[tracing::instrument(skip(state, me), fields(user = me.id()))]
async fn open_direct(
    State(state): State<AppState>,
    me: AuthUser,
    Body(body): Body<OpenDirectRequest>,
) -> ApiResult<Json<DirectConversation>> {
    if body.user_id == me.id() {
        return Err(ApiError::Invalid(
            "a conversation needs another user".into(),
        ));
    }
    let client = state.pool.get().await?;
    users::by_id(&client, body.user_id)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    let conv = conversations::direct(&client, me.id(), body.user_id).await?;
    Ok(Json(DirectConversation { conv }))
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    before: Option<i64>,
    limit: Option<u32>,
}

/// A page of history, newest first; `before` pages back by seq. Not a member: 404.
#[tracing::instrument(skip(state, me), fields(user = me.id()))]
async fn messages(
    State(state): State<AppState>,
    me: AuthUser,
    Path(conv): Path<i64>,
    Query(query): Query<PageQuery>,
) -> ApiResult<Json<HistoryPage>> {
    let max = state.config.hub_limits().history_page_max;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE).clamp(1, max);
    if query.before.is_some_and(|b| b < 1) {
        return Err(ApiError::Invalid("before must be a positive seq".into()));
    }
    let client = state.pool.get().await?;
    if !conversations::is_member(&client, me.id(), conv).await? {
        return Err(ApiError::NotFound("conversation"));
    }
    let (messages, more) = history::page(&client, conv, query.before, i64::from(limit)).await?;
    Ok(Json(HistoryPage { messages, more }))
}
