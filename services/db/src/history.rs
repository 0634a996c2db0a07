//! History pages and the conversation list of a user.

use std::collections::HashMap;

use deadpool_postgres::GenericClient;
use natter_protocol::ChatMessage;

use crate::{error::DbResult, messages};

/// Up to `limit` messages of `conv` before seq `before` (all when None), newest first, and whether
/// older ones remain.
pub async fn page(
    client: &impl GenericClient,
    conv: i64,
    before: Option<i64>,
    limit: i64,
) -> DbResult<(Vec<ChatMessage>, bool)> {
    let sql = format!(
        "select {} from messages m
         where m.conv_id = $1 and ($2::bigint is null or m.seq < $2)
         order by m.seq desc limit $3",
        messages::COLUMNS
    );
    let rows = client.query(&sql, &[&conv, &before, &(limit + 1)]).await?;
    let more = rows.len() as i64 > limit;
    let page = rows
        .iter()
        .take(limit as usize)
        .map(messages::from_row)
        .collect();
    Ok((page, more))
}

/// One of a user's conversations, before users, groups and last messages are attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRow {
    pub conv: i64,
    /// The other user of a direct conversation.
    pub peer: Option<i64>,
    /// The group of a group conversation.
    pub group: Option<i64>,
    pub last_seq: i64,
    pub read_seq: i64,
    pub peer_read_seq: i64,
    /// Messages from others after `read_seq` (counted up to 1000).
    pub unread: i64,
}

/// Every conversation of `user`: the direct ones and those of their groups.
pub async fn conversations_of(
    client: &impl GenericClient,
    user: i64,
) -> DbResult<Vec<ConversationRow>> {
    let rows = client
        .query(
            "with mine as (
                 select c.id, case when c.user_lo = $1 then c.user_hi else c.user_lo end as peer,
                        null::bigint as group_id
                 from conversations c where c.kind = 1 and $1 in (c.user_lo, c.user_hi)
                 union all
                 select c.id, null, c.group_id from conversations c
                 join group_members g on g.group_id = c.group_id and g.user_id = $1
                 where c.kind = 2
             )
             select mine.id, mine.peer, mine.group_id,
                    coalesce((select max(seq) from messages x where x.conv_id = mine.id), 0),
                    coalesce(r.seq, 0), coalesce(pr.seq, 0),
                    (select count(*) from (
                         select 1 from messages x
                         where x.conv_id = mine.id and x.seq > coalesce(r.seq, 0) and x.sender_id <> $1
                         limit 1000) unread)
             from mine
             left join read_receipts r on r.user_id = $1 and r.conv_id = mine.id
             left join read_receipts pr on pr.user_id = mine.peer and pr.conv_id = mine.id",
            &[&user],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| ConversationRow {
            conv: r.get(0),
            peer: r.get(1),
            group: r.get(2),
            last_seq: r.get(3),
            read_seq: r.get(4),
            peer_read_seq: r.get(5),
            unread: r.get(6),
        })
        .collect())
}

/// The newest message of each conversation that has one.
pub async fn last_messages(
    client: &impl GenericClient,
    convs: &[i64],
) -> DbResult<HashMap<i64, ChatMessage>> {
    let sql = format!(
        "select {} from unnest($1::bigint[]) as c(id)
         cross join lateral (
             select * from messages where conv_id = c.id order by seq desc limit 1
         ) m",
        messages::COLUMNS
    );
    let rows = client.query(&sql, &[&convs]).await?;
    Ok(rows
        .iter()
        .map(messages::from_row)
        .map(|m| (m.conv, m))
        .collect())
}
