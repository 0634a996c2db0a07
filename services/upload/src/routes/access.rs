//! `GET /media/{id}` and `GET /media/{id}/thumb`: a 302 to a short-lived presigned GET, for the
//! owner and for members of a conversation where a message carrying the media was sent; 404 to
//! anyone else (whether or not the media exists). The token may come as a Bearer header or as
//! `?token=` (for `<img src>`, which cannot send headers).

use axum::{
    Router,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use natter_common::UrlAuthUser;
use natter_db::media;
use uuid::Uuid;

use super::store::storage_error;
use crate::{
    error::{UploadError, UploadResult},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/media/{id}", get(original))
        .route("/media/{id}/thumb", get(thumb))
}

async fn original(
    State(state): State<AppState>,
    user: UrlAuthUser,
    Path(id): Path<String>,
) -> UploadResult<Response> {
    redirect(&state, user.id(), &id, false).await
}

async fn thumb(
    State(state): State<AppState>,
    user: UrlAuthUser,
    Path(id): Path<String>,
) -> UploadResult<Response> {
    redirect(&state, user.id(), &id, true).await
}

async fn redirect(state: &AppState, user: i64, id: &str, thumb: bool) -> UploadResult<Response> {
    let id = Uuid::parse_str(id).map_err(|_| UploadError::NotFound("media"))?;
    let client = state.pool.get().await?;
    let row = media::readable_by(&client, id, user)
        .await?
        .ok_or(UploadError::NotFound("media"))?;
    let (key, mime) = if thumb {
        let key = row.thumb_key.ok_or(UploadError::NotFound("thumbnail"))?;
        (key, row.thumb_mime.unwrap_or_else(|| "image/jpeg".into()))
    } else {
        (row.object_key, row.mime)
    };
    let url = state
        .storage
        .presign_get(&key, &mime, state.config.presign_ttl())
        .await
        .map_err(storage_error)?;
    // The redirect itself may be cached by this browser only, for less than the URL lives.
    Ok((
        StatusCode::FOUND,
        [
            (header::LOCATION, url.as_str()),
            (header::CACHE_CONTROL, "private, max-age=240"),
        ],
    )
        .into_response())
}
