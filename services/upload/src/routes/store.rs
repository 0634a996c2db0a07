//! Keeping a verified upload: objects first (under content-hash keys), then the row.
//!
//! The row is written only once its objects are in place, so no row points at a missing object;
//! when the row cannot be written, objects no other row uses are deleted again.

use natter_db::media::{self, MediaRow};
use natter_protocol::{MediaInfo, MediaKind};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    error::{UploadError, UploadResult},
    media::Processed,
    state::AppState,
    storage::StorageError,
};

/// Verifies and processes `bytes` on a blocking thread, under the decoding cap.
pub async fn verify(
    state: &AppState,
    bytes: bytes::Bytes,
    declared: Option<String>,
    expected: Option<MediaKind>,
) -> UploadResult<Processed> {
    let _permit = state
        .decoding
        .acquire()
        .await
        .map_err(|e| UploadError::Internal(e.into()))?;
    let limits = state.limits.clone();
    let started = std::time::Instant::now();
    let processed = tokio::task::spawn_blocking(move || {
        crate::media::process(bytes, declared.as_deref(), expected, &limits)
    })
    .await
    .map_err(|e| UploadError::Internal(e.into()))?;
    metrics::histogram!("natter_upload_process_seconds").record(started.elapsed().as_secs_f64());
    processed
}

/// Stores a processed upload for `owner` and answers what the client gets back.
pub async fn keep(state: &AppState, owner: i64, processed: Processed) -> UploadResult<MediaInfo> {
    let sha = hex::encode(Sha256::digest(&processed.body));
    let object_key = format!("media/{sha}");
    let thumb_key = processed
        .thumb
        .as_ref()
        .map(|(_, mime)| format!("thumbs/{sha}.{}", extension(mime)));
    if let Err(e) = put_objects(state, &object_key, thumb_key.as_deref(), &processed).await {
        forget_unused(state, [Some(object_key), thumb_key]).await;
        return Err(e);
    }
    let row = MediaRow {
        id: Uuid::new_v4(),
        owner_id: owner,
        kind: processed.kind.as_str().to_owned(),
        mime: processed.mime.to_owned(),
        size: processed.body.len() as i64,
        sha256: sha,
        width: processed.width.map(|w| w as i32),
        height: processed.height.map(|h| h as i32),
        duration_ms: processed.duration_ms.map(|d| d as i64),
        waveform: processed.waveform.clone(),
        object_key: object_key.clone(),
        thumb_key: thumb_key.clone(),
        thumb_mime: processed.thumb.as_ref().map(|(_, mime)| (*mime).to_owned()),
    };
    match insert(state, &row).await {
        Ok(stored) => {
            metrics::counter!("natter_uploads_total", "kind" => processed.kind.as_str())
                .increment(1);
            Ok(info(&stored))
        }
        Err(e) => {
            forget_unused(state, [Some(object_key), thumb_key]).await;
            Err(e)
        }
    }
}

/// Puts the object and its thumbnail (if any).
async fn put_objects(
    state: &AppState,
    object_key: &str,
    thumb_key: Option<&str>,
    processed: &Processed,
) -> UploadResult<()> {
    state
        .storage
        .put(object_key, processed.body.clone(), processed.mime)
        .await
        .map_err(storage_error)?;
    if let (Some(key), Some((thumb, mime))) = (thumb_key, &processed.thumb) {
        state
            .storage
            .put(key, thumb.clone(), mime)
            .await
            .map_err(storage_error)?;
    }
    Ok(())
}

async fn insert(state: &AppState, row: &MediaRow) -> UploadResult<MediaRow> {
    let client = state.pool.get().await?;
    Ok(media::insert(&client, row).await?)
}

/// Deletes objects that no row uses (after a failed put or insert); best effort.
async fn forget_unused(state: &AppState, keys: [Option<String>; 2]) {
    let Ok(client) = state.pool.get().await else {
        return;
    };
    for key in keys.into_iter().flatten() {
        if let Ok(false) = media::key_in_use(&client, &key).await
            && let Err(e) = state.storage.delete(&key).await
        {
            tracing::warn!(key, error = %e, "could not delete an unused object");
        }
    }
}

/// The file extension of a thumbnail's type (thumbnails are JPEG or PNG).
fn extension(mime: &str) -> &'static str {
    if mime == "image/png" { "png" } else { "jpg" }
}

/// What a client learns about stored media.
pub fn info(row: &MediaRow) -> MediaInfo {
    MediaInfo {
        id: row.id.to_string(),
        kind: MediaKind::parse(&row.kind).unwrap_or(MediaKind::Image),
        mime: row.mime.clone(),
        size: row.size,
        width: row.width,
        height: row.height,
        duration_ms: row.duration_ms,
        waveform: row.waveform.clone(),
        url: format!("/media/{}", row.id),
        thumb_url: row
            .thumb_key
            .as_ref()
            .map(|_| format!("/media/{}/thumb", row.id)),
    }
}

/// Storage failures: a missing object is the caller's 404; anything else is a 503.
pub fn storage_error(e: StorageError) -> UploadError {
    match e {
        StorageError::NotFound => UploadError::NotFound("object"),
        StorageError::TooLarge(max) => {
            UploadError::TooLarge(format!("the upload is larger than {max} bytes"))
        }
        StorageError::Unreachable(cause) => UploadError::Unavailable(anyhow::anyhow!(cause)),
    }
}
