//! Conversations: the list with unread counts, history pages, and opening a direct conversation.

use std::collections::HashMap;

use axum::{Json, Router, extract::State, routing::get, routing::post};
use natter_common::AuthUser;
use natter_db::{conversations, groups, history, users};
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
async fn list(
    State(state): State<AppState>,
    me: AuthUser,
) -> ApiResult<Json<Vec<ConversationSummary>>> {
    let client = state.pool.get().await?;
    let rows = history::conversations_of(&client, me.id()).await?;
    let convs: Vec<i64> = rows.iter().map(|r| r.conv).collect();
    let peers: Vec<i64> = rows.iter().filter_map(|r| r.peer).collect();
    let mut last = history::last_messages(&client, &convs).await?;
    let people: HashMap<i64, _> = users::by_ids(&client, &peers)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let mut my_groups: HashMap<i64, _> = groups::of_user(&client, me.id())
        .await?
        .into_iter()
        .map(|g| (g.id, g))
        .collect();
    let mut summaries: Vec<ConversationSummary> = rows
        .into_iter()
        .map(|row| ConversationSummary {
            conv: row.conv,
            kind: if row.group.is_some() {
                "group"
            } else {
                "direct"
            }
            .to_owned(),
            peer: row.peer.and_then(|p| people.get(&p).cloned()),
            group: row.group.and_then(|g| my_groups.remove(&g)),
            last_seq: row.last_seq,
            read_seq: row.read_seq,
            peer_read_seq: row.peer_read_seq,
            unread: row.unread,
            last_message: last.remove(&row.conv),
        })
        .collect();
    summaries.sort_by_key(|s| std::cmp::Reverse(s.last_message.as_ref().map_or(0, |m| m.ts)));
    Ok(Json(summaries))
}

/// Gets (or creates) the direct conversation with another user, before any message.
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
