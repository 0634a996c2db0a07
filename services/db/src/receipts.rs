//! Read receipts: how far each user has read each conversation.

use deadpool_postgres::GenericClient;

use crate::error::DbResult;

/// Records that `user` read `conv` up to `seq` (never moves backwards). Returns the stored seq.
pub async fn mark_read(
    client: &impl GenericClient,
    user: i64,
    conv: i64,
    seq: i64,
) -> DbResult<i64> {
    let row = client
        .query_one(
            "insert into read_receipts (user_id, conv_id, seq) values ($1, $2, $3)
             on conflict (user_id, conv_id) do update
                 set seq = greatest(read_receipts.seq, excluded.seq), updated_at = now()
             returning seq",
            &[&user, &conv, &seq],
        )
        .await?;
    Ok(row.get(0))
}
