//! Media rows of the upload service, pending direct uploads, and who may read a media object.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

use crate::error::DbResult;

/// A stored media object.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaRow {
    pub id: Uuid,
    pub owner_id: i64,
    pub kind: String,
    pub mime: String,
    pub size: i64,
    pub sha256: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub duration_ms: Option<i64>,
    pub waveform: Option<Vec<u8>>,
    pub object_key: String,
    pub thumb_key: Option<String>,
    /// Type of the thumbnail object, when there is one.
    pub thumb_mime: Option<String>,
}

const COLUMNS: &str = "id, owner_id, kind, mime, size, sha256, width, height, duration_ms, waveform, object_key, thumb_key, thumb_mime";

fn from_row(r: &Row) -> MediaRow {
    MediaRow {
        id: r.get(0),
        owner_id: r.get(1),
        kind: r.get(2),
        mime: r.get(3),
        size: r.get(4),
        sha256: r.get(5),
        width: r.get(6),
        height: r.get(7),
        duration_ms: r.get(8),
        waveform: r.get(9),
        object_key: r.get(10),
        thumb_key: r.get(11),
        thumb_mime: r.get(12),
    }
}

/// Records a media object; the same owner storing the same bytes again gets the first row back.
pub async fn insert(client: &impl GenericClient, media: &MediaRow) -> DbResult<MediaRow> {
    let inserted = client
        .query_opt(
            &format!(
                "insert into media ({COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                 on conflict (owner_id, sha256) do nothing returning {COLUMNS}"
            ),
            &[
                &media.id,
                &media.owner_id,
                &media.kind,
                &media.mime,
                &media.size,
                &media.sha256,
                &media.width,
                &media.height,
                &media.duration_ms,
                &media.waveform,
                &media.object_key,
                &media.thumb_key,
                &media.thumb_mime,
            ],
        )
        .await?;
    if let Some(row) = inserted {
        return Ok(from_row(&row));
    }
    let existing = client
        .query_one(
            &format!("select {COLUMNS} from media where owner_id = $1 and sha256 = $2"),
            &[&media.owner_id, &media.sha256],
        )
        .await?;
    Ok(from_row(&existing))
}

/// The media `id` if `user` may read it: they own it, or it was sent in a conversation they are in.
pub async fn readable_by(
    client: &impl GenericClient,
    id: Uuid,
    user: i64,
) -> DbResult<Option<MediaRow>> {
    let row = client
        .query_opt(
            &format!(
                "select {COLUMNS} from media m where m.id = $1 and (m.owner_id = $2 or exists (
                     select 1 from messages x join conversations c on c.id = x.conv_id
                     where x.media_id = m.id and (
                         (c.kind = 1 and $2 in (c.user_lo, c.user_hi))
                         or (c.kind = 2 and exists (
                             select 1 from group_members g where g.group_id = c.group_id and g.user_id = $2))
                     )))"
            ),
            &[&id, &user],
        )
        .await?;
    Ok(row.as_ref().map(from_row))
}

/// Whether any media row still points at this object key.
pub async fn key_in_use(client: &impl GenericClient, key: &str) -> DbResult<bool> {
    let row = client
        .query_opt(
            "select 1 from media where object_key = $1 or thumb_key = $1 limit 1",
            &[&key],
        )
        .await?;
    Ok(row.is_some())
}

/// A direct upload announced but not yet completed.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingUpload {
    pub id: Uuid,
    pub owner_id: i64,
    pub kind: String,
    pub mime: String,
    pub size: i64,
    pub object_key: String,
}

/// Records a pending direct upload that expires at `expires_at`.
pub async fn insert_pending(
    client: &impl GenericClient,
    pending: &PendingUpload,
    expires_at: time::OffsetDateTime,
) -> DbResult<()> {
    client
        .execute(
            "insert into pending_uploads (id, owner_id, kind, mime, size, object_key, expires_at)
             values ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &pending.id,
                &pending.owner_id,
                &pending.kind,
                &pending.mime,
                &pending.size,
                &pending.object_key,
                &expires_at,
            ],
        )
        .await?;
    Ok(())
}

/// The owner's pending upload `id`, if it is still announced.
pub async fn find_pending(
    client: &impl GenericClient,
    id: Uuid,
    owner: i64,
) -> DbResult<Option<PendingUpload>> {
    let row = client
        .query_opt(
            "select id, owner_id, kind, mime, size, object_key from pending_uploads
             where id = $1 and owner_id = $2",
            &[&id, &owner],
        )
        .await?;
    Ok(row.map(|r| PendingUpload {
        id: r.get(0),
        owner_id: r.get(1),
        kind: r.get(2),
        mime: r.get(3),
        size: r.get(4),
        object_key: r.get(5),
    }))
}

/// Locks up to `limit` pending uploads whose URL expired more than `grace` ago (skipping rows
/// another instance holds) and returns their ids and object keys. Call it in a transaction, delete
/// the objects, then [`delete_pending`] and commit: a failure midway leaves the rows to retry.
pub async fn lock_expired_pending(
    client: &impl GenericClient,
    grace: std::time::Duration,
    limit: i64,
) -> DbResult<Vec<(Uuid, String)>> {
    let rows = client
        .query(
            "select id, object_key from pending_uploads
             where expires_at < now() - make_interval(secs => $1)
             order by expires_at limit $2 for update skip locked",
            &[&grace.as_secs_f64(), &limit],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Deletes these pending uploads.
pub async fn delete_pending(client: &impl GenericClient, ids: &[Uuid]) -> DbResult<u64> {
    Ok(client
        .execute("delete from pending_uploads where id = any($1)", &[&ids])
        .await?)
}
