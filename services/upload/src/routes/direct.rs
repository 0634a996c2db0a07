//! Direct uploads to storage: `POST /api/v1/media/uploads` hands out a presigned PUT to a
//! `pending/` key; `POST /api/v1/media/uploads/{id}/complete` reads the object back, verifies and
//! processes it exactly like an upload through the service, keeps it, and deletes the pending object.
//! Nothing unverified is ever served: pending objects have no row and no URL.

use std::collections::BTreeMap;

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::post,
};
use natter_common::AuthUser;
use natter_db::media::{self, PendingUpload};
use natter_protocol::{MediaInfo, MediaKind, PresignRequest, PresignResponse};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};
use uuid::Uuid;

use super::store::{self, storage_error};
use crate::{
    error::{UploadError, UploadResult},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/media/uploads", post(presign))
        .route("/api/v1/media/uploads/{id}/complete", post(complete))
}

#[tracing::instrument(skip(state, body), fields(user = user.id()))]
async fn presign(
    State(state): State<AppState>,
    user: AuthUser,
    body: Result<Json<PresignRequest>, axum::extract::rejection::JsonRejection>,
) -> UploadResult<(StatusCode, Json<PresignResponse>)> {
    let Json(request) = body.map_err(|e| UploadError::BadRequest(e.body_text()))?;
    let mime = request
        .mime
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let (accepted, max) = match request.kind {
        MediaKind::Image => (&state.limits.image_types, state.limits.image_max_bytes),
        MediaKind::Voice => (&state.limits.voice_types, state.limits.voice_max_bytes),
    };
    if !accepted.contains(&mime) {
        return Err(UploadError::UnsupportedType(format!(
            "{mime} is not accepted for {}",
            request.kind.as_str()
        )));
    }
    if request.size == 0 || request.size > max {
        return Err(UploadError::TooLarge(format!(
            "{} files may be 1 to {max} bytes",
            request.kind.as_str()
        )));
    }
    let id = Uuid::new_v4();
    let pending = PendingUpload {
        id,
        owner_id: user.id(),
        kind: request.kind.as_str().to_owned(),
        mime: mime.clone(),
        size: request.size as i64,
        object_key: format!("pending/{id}"),
    };
    let ttl = state.config.presign_ttl();
    let expires_at = OffsetDateTime::now_utc() + ttl;
    let signed = state
        .storage
        .presign_put(&pending.object_key, &mime, request.size, ttl)
        .await
        .map_err(storage_error)?;
    let client = state.pool.get().await?;
    media::insert_pending(&client, &pending, expires_at).await?;
    let headers: BTreeMap<String, String> = signed.headers.into_iter().collect();
    Ok((
        StatusCode::CREATED,
        Json(PresignResponse {
            id: pending.id.to_string(),
            put_url: signed.url,
            headers,
            expires_at: expires_at.format(&Rfc3339).unwrap_or_default(),
        }),
    ))
}

#[tracing::instrument(skip(state), fields(user = user.id()))]
async fn complete(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> UploadResult<(StatusCode, Json<MediaInfo>)> {
    let id = Uuid::parse_str(&id).map_err(|_| UploadError::NotFound("upload"))?;
    let client = state.pool.get().await?;
    let pending = media::find_pending(&client, id, user.id())
        .await?
        .ok_or(UploadError::NotFound("upload"))?;
    drop(client);
    // The object is read into memory: it takes an intake slot like an upload through the service.
    let _slot = state
        .intake
        .acquire()
        .await
        .map_err(|e| UploadError::Internal(e.into()))?;
    let result = match verify_pending(&state, &pending).await {
        Ok(processed) => store::keep(&state, user.id(), processed).await,
        Err(e) => Err(e),
    };
    if is_final(&result) {
        forget(&state, &pending).await;
    }
    Ok((StatusCode::CREATED, Json(result?)))
}

/// Whether completing is over: kept, or refused for what the bytes are. When the object is not
/// there yet or storage or the database failed, the pending upload stays for a retry (the
/// sweeper forgets it once expired).
fn is_final(result: &UploadResult<MediaInfo>) -> bool {
    !matches!(
        result,
        Err(UploadError::NotFound(_) | UploadError::Unavailable(_) | UploadError::Internal(_))
    )
}

/// Deletes the pending object, then its row (so the upload completes once); best effort, the
/// sweeper deletes what is left.
async fn forget(state: &AppState, pending: &PendingUpload) {
    if let Err(e) = state.storage.delete(&pending.object_key).await {
        tracing::warn!(key = pending.object_key, error = %e, "could not delete a pending object");
        return;
    }
    let deleted = match state.pool.get().await {
        Ok(client) => media::delete_pending(&client, &[pending.id])
            .await
            .map(|_| ()),
        Err(e) => Err(e.into()),
    };
    if let Err(e) = deleted {
        tracing::warn!(id = %pending.id, error = %e, "could not delete a pending upload");
    }
}

async fn verify_pending(
    state: &AppState,
    pending: &PendingUpload,
) -> UploadResult<crate::media::Processed> {
    let bytes = state
        .storage
        .get(&pending.object_key, pending.size as u64)
        .await
        .map_err(|e| match e {
            crate::storage::StorageError::NotFound => UploadError::NotFound("uploaded object"),
            other => storage_error(other),
        })?;
    let kind = MediaKind::parse(&pending.kind);
    store::verify(state, bytes, Some(pending.mime.clone()), kind).await
}
