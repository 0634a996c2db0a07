//! Messages: the group-commit insert, idempotency look-ups, catch-up and the row mapping.

use std::collections::HashMap;

use deadpool_postgres::GenericClient;
use natter_protocol::ChatMessage;
use tokio_postgres::Row;

use crate::error::{DbError, DbResult};

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

/// A message ready to store: its conversation is resolved; [`store_batch`] gives it its seq.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub conv: i64,
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

/// Where [`store_batch`] put one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    pub id: i64,
    pub conv: i64,
    pub seq: i64,
    /// Milliseconds since the epoch.
    pub ts: i64,
    /// The `(sender, cid)` was stored before (a retried send): nothing new was stored and this
    /// is the first message's place, which may be in another conversation.
    pub retried: bool,
}

/// Stores a batch in one statement, so one round trip and one transaction: the whole batch
/// commits or none of it. A message whose `(sender, cid)` is already stored is left out and
/// answered with the stored message's place. The others get the next seqs of their conversation,
/// in batch order, counting on from `last_seq` (the newest committed seq, when the caller knows it;
/// otherwise it is read from the table). Returns one [`Placed`] per message, in batch order.
///
/// `(sender, cid)` must be unique within the batch, and the caller must be the only writer of
/// these conversations (their seqs are numbered from what it knows).
pub async fn store_batch(
    client: &impl GenericClient,
    batch: &[NewMessage],
    last_seq: impl Fn(i64) -> Option<i64>,
) -> DbResult<Vec<Placed>> {
    macro_rules! column {
        ($field:ident) => {
            batch.iter().map(|m| m.$field.clone()).collect::<Vec<_>>()
        };
    }
    let last: Vec<Option<i64>> = batch.iter().map(|m| last_seq(m.conv)).collect();
    // Cached: the writer runs this for every batch.
    let statement = client.prepare_cached(STORE_BATCH).await?;
    let rows = client
        .query(
            &statement,
            &[
                &column!(conv),
                &last,
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
    let mut placed: HashMap<(i64, String), Placed> = rows
        .iter()
        .map(|r| {
            let place = Placed {
                retried: r.get(0),
                id: r.get(3),
                conv: r.get(4),
                seq: r.get(5),
                ts: r.get(6),
            };
            ((r.get(1), r.get(2)), place)
        })
        .collect();
    batch
        .iter()
        .map(|m| {
            placed
                .remove(&(m.sender, m.cid.clone()))
                .ok_or(DbError::Inconsistent("a stored message was not returned"))
        })
        .collect()
}

/// [`store_batch`]'s statement. `existing` finds retried sends (one probe of
/// `messages_sender_cid_key` each); `fresh` numbers the rest per conversation in batch order.
const STORE_BATCH: &str = "
    with input as (
        select * from unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::smallint[], $5::bigint[],
                             $6::smallint[], $7::text[], $8::text[], $9::text[], $10::text[],
                             $11::bigint[], $12::uuid[], $13::text[])
            with ordinality as i(conv, last_seq, sender, cmd, dstid, media, content, pic, url, memo,
                                 amount, media_id, cid, ord)
    ),
    existing as (
        select m.* from input i
        cross join lateral (select * from messages where sender_id = i.sender and cid = i.cid) m
    ),
    fresh as (
        select i.*,
               coalesce(i.last_seq, (select max(seq) from messages where conv_id = i.conv), 0)
                 + row_number() over (partition by i.conv order by i.ord) as seq
        from input i
        where not exists (select 1 from existing e where e.sender_id = i.sender and e.cid = i.cid)
    ),
    inserted as (
        insert into messages
            (conv_id, seq, sender_id, cmd, dstid, media, content, pic, url, memo, amount, media_id, cid)
        select conv, seq, sender, cmd, dstid, media, content, pic, url, memo, amount, media_id, cid
        from fresh
        order by ord
        returning sender_id, cid, id, conv_id, seq, created_at
    )
    select false, sender_id, cid, id, conv_id, seq, (extract(epoch from created_at) * 1000)::bigint
    from inserted
    union all
    select true, sender_id, cid, id, conv_id, seq, (extract(epoch from created_at) * 1000)::bigint
    from existing";

/// Everything after each cursor in every conversation of `user`, at most `page` per conversation
/// (one more is fetched to tell whether more remain), ordered by conversation then seq.
pub async fn catch_up(
    client: &impl GenericClient,
    user: i64,
    cursors: &HashMap<i64, i64>,
    page: i64,
) -> DbResult<Vec<ChatMessage>> {
    let (convs, seqs): (Vec<i64>, Vec<i64>) = cursors.iter().map(|(c, s)| (*c, *s)).unzip();
    let sql = format!(
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
         select {COLUMNS} from wanted
         cross join lateral (
             select * from messages where conv_id = wanted.id and seq > wanted.after
             order by seq limit $4
         ) m
         order by m.conv_id, m.seq"
    );
    let rows = client
        .query(&sql, &[&user, &convs, &seqs, &(page + 1)])
        .await?;
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
