//! Messages: the group-commit insert, idempotency look-ups, catch-up and the row mapping.

use std::collections::HashMap;

use deadpool_postgres::GenericClient;
use natter_protocol::ChatMessage;
use tokio_postgres::Row;

use crate::error::DbResult;

/// The columns [`from_row`] reads, in order; select them with this list (prefix `m.`).
pub const COLUMNS: &str = "m.id, m.conv_id, m.seq, m.sender_id, m.dstid, m.cmd, m.media, m.content, \
     m.pic, m.url, m.memo, m.amount, m.media_id::text, m.cid, \
     (extract(epoch from m.created_at) * 1000)::bigint";

/// Reads a row selected with [`COLUMNS`].
pub fn from_row(row: &Row) -> ChatMessage {
    ChatMessage {
        id: row.get(0),
        conv: row.get(1),
        seq: row.get(2),
        userid: row.get(3),
        dstid: row.get(4),
        cmd: i64::from(row.get::<_, i16>(5)),
        media: i64::from(row.get::<_, i16>(6)),
        content: row.get(7),
        pic: row.get(8),
        url: row.get(9),
        memo: row.get(10),
        amount: row.get(11),
        media_id: row.get(12),
        cid: Some(row.get(13)),
        ts: row.get(14),
    }
}

/// A message ready to store: its conversation and seq are already allocated.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub conv: i64,
    pub seq: i64,
    pub sender: i64,
    pub cmd: i16,
    pub dstid: i64,
    pub media: i16,
    pub content: String,
    pub pic: Option<String>,
    pub url: Option<String>,
    pub memo: Option<String>,
    pub amount: Option<i64>,
    pub media_id: Option<uuid::Uuid>,
    pub cid: String,
}

/// Inserts a batch in one statement and returns `(id, ts)` per message, in input order.
pub async fn insert_batch(
    client: &impl GenericClient,
    batch: &[NewMessage],
) -> DbResult<Vec<(i64, i64)>> {
    macro_rules! column {
        ($field:ident) => {
            batch.iter().map(|m| m.$field.clone()).collect::<Vec<_>>()
        };
    }
    // Cached: the writer runs this for every batch.
    let statement = client
        .prepare_cached(
            "insert into messages
                 (conv_id, seq, sender_id, cmd, dstid, media, content, pic, url, memo, amount, media_id, cid)
             select * from unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::smallint[], $5::bigint[],
                                  $6::smallint[], $7::text[], $8::text[], $9::text[], $10::text[],
                                  $11::bigint[], $12::uuid[], $13::text[])
             returning conv_id, seq, id, (extract(epoch from created_at) * 1000)::bigint",
        )
        .await?;
    let rows = client
        .query(
            &statement,
            &[
                &column!(conv),
                &column!(seq),
                &column!(sender),
                &column!(cmd),
                &column!(dstid),
                &column!(media),
                &column!(content),
                &column!(pic),
                &column!(url),
                &column!(memo),
                &column!(amount),
                &column!(media_id),
                &column!(cid),
            ],
        )
        .await?;
    let stored: HashMap<(i64, i64), (i64, i64)> = rows
        .iter()
        .map(|r| ((r.get(0), r.get(1)), (r.get(2), r.get(3))))
        .collect();
    Ok(batch.iter().map(|m| stored[&(m.conv, m.seq)]).collect())
}

/// The seq of the newest message of each conversation (conversations without messages are left out).
pub async fn last_seqs(client: &impl GenericClient, convs: &[i64]) -> DbResult<HashMap<i64, i64>> {
    if convs.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = client
        .query(
            "select c.id, m.seq from unnest($1::bigint[]) as c(id)
             cross join lateral (
                 select seq from messages where conv_id = c.id order by seq desc limit 1
             ) m",
            &[&convs],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Messages already stored for these `(sender, cid)` pairs (a retried send).
pub async fn find_by_cids(
    client: &impl GenericClient,
    keys: &[(i64, String)],
) -> DbResult<Vec<ChatMessage>> {
    let (senders, cids): (Vec<i64>, Vec<String>) = keys.iter().cloned().unzip();
    // The lateral join makes every key one index probe of `messages_sender_cid_key`, however
    // large the table grows (a hash join would scan it).
    let sql = format!(
        "select {COLUMNS} from unnest($1::bigint[], $2::text[]) as k(sender, cid)
         cross join lateral (
             select * from messages where sender_id = k.sender and cid = k.cid
         ) m"
    );
    // Cached: the writer runs this for every batch.
    let statement = client.prepare_cached(&sql).await?;
    let rows = client.query(&statement, &[&senders, &cids]).await?;
    Ok(rows.iter().map(from_row).collect())
}

/// What a catch-up of `user` has to replay: each of their conversations (direct ones and those of
/// their groups) with a message after its cursor (a conversation missing from `cursors` counts
/// from 0), as `(conv, cursor)`, ordered by conversation. One index probe per conversation.
pub async fn catch_up_plan(
    client: &impl GenericClient,
    user: i64,
    cursors: &HashMap<i64, i64>,
) -> DbResult<Vec<(i64, i64)>> {
    let (convs, seqs): (Vec<i64>, Vec<i64>) = cursors.iter().map(|(c, s)| (*c, *s)).unzip();
    let rows = client
        .query(
            "with mine as (
                 select id from conversations where kind = 1 and (user_lo = $1 or user_hi = $1)
                 union all
                 select c.id from conversations c
                 join group_members g on g.group_id = c.group_id and g.user_id = $1
                 where c.kind = 2
             ),
             wanted as (
                 select mine.id, coalesce(k.seq, 0) as after from mine
                 left join unnest($2::bigint[], $3::bigint[]) as k(conv, seq) on k.conv = mine.id
             )
             select wanted.id, wanted.after from wanted
             where exists (select 1 from messages m where m.conv_id = wanted.id and m.seq > wanted.after)
             order by wanted.id",
            &[&user, &convs, &seqs],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Up to `limit` messages of `conv` after seq `after`, oldest first.
pub async fn after(
    client: &impl GenericClient,
    conv: i64,
    after: i64,
    limit: i64,
) -> DbResult<Vec<ChatMessage>> {
    let sql = format!(
        "select {COLUMNS} from messages m where m.conv_id = $1 and m.seq > $2 order by m.seq limit $3"
    );
    // Cached: a catch-up runs it once per conversation (and chunk) it replays.
    let statement = client.prepare_cached(&sql).await?;
    let rows = client.query(&statement, &[&conv, &after, &limit]).await?;
    Ok(rows.iter().map(from_row).collect())
}

/// What a message needs to know of media it carries: its measured duration and waveform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFacts {
    pub duration_ms: Option<i64>,
    pub waveform: Option<Vec<u8>>,
}

/// The facts of `media_id` if it names media of `kind` owned by `owner`.
pub async fn owned_media(
    client: &impl GenericClient,
    media_id: uuid::Uuid,
    owner: i64,
    kind: &str,
) -> DbResult<Option<MediaFacts>> {
    let row = client
        .query_opt(
            "select duration_ms, waveform from media where id = $1 and owner_id = $2 and kind = $3",
            &[&media_id, &owner, &kind],
        )
        .await?;
    Ok(row.map(|r| MediaFacts {
        duration_ms: r.get(0),
        waveform: r.get(1),
    }))
}
