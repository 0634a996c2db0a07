//! `POST /api/v1/media`: an upload through the service, as multipart (field `file`) or a raw body
//! with its Content-Type. Answers 201 with the stored media.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State},
    http::{StatusCode, header},
    routing::post,
};
use natter_common::AuthUser;
use natter_protocol::MediaInfo;

use super::store;
use crate::{
    error::{UploadError, UploadResult},
    state::AppState,
};

/// Room for multipart boundaries and headers above the largest file.
const MULTIPART_OVERHEAD: u64 = 64 * 1024;

pub fn router(state: &AppState) -> Router<AppState> {
    let largest = state
        .limits
        .image_max_bytes
        .max(state.limits.voice_max_bytes)
        + MULTIPART_OVERHEAD;
    Router::new()
        .route("/api/v1/media", post(upload))
        .layer(DefaultBodyLimit::max(largest as usize))
}

#[tracing::instrument(skip(state, request), fields(user = user.id()))]
async fn upload(
    State(state): State<AppState>,
    user: AuthUser,
    request: Request,
) -> UploadResult<(StatusCode, Json<MediaInfo>)> {
    // Wait for a slot before reading the body: at most `upload_concurrency` bodies are in memory.
    let _slot = state
        .intake
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| UploadError::Internal(e.into()))?;
    let (bytes, declared) = read_file(&state, request).await?;
    let processed = store::verify(&state, bytes, declared, None).await?;
    let info = store::keep(&state, user.id(), processed).await?;
    Ok((StatusCode::CREATED, Json(info)))
}

/// The uploaded bytes and the type the client declared for them.
async fn read_file(state: &AppState, request: Request) -> UploadResult<(Bytes, Option<String>)> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if content_type
        .as_deref()
        .is_some_and(|t| t.starts_with("multipart/form-data"))
    {
        let mut multipart = Multipart::from_request(request, state)
            .await
            .map_err(|e| UploadError::BadRequest(e.body_text()))?;
        while let Some(field) = multipart.next_field().await? {
            if field.name() == Some("file") {
                let declared = field.content_type().map(str::to_owned);
                return Ok((field.bytes().await?, declared));
            }
        }
        return Err(UploadError::BadRequest(
            "send the file in a multipart field named `file`".into(),
        ));
    }
    let bytes = Bytes::from_request(request, state).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            UploadError::TooLarge("the upload is larger than allowed".into())
        } else {
            UploadError::BadRequest(e.body_text())
        }
    })?;
    Ok((bytes, content_type))
}
