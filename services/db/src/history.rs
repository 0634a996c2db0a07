//! History pages and the conversation list of a user.

use std::collections::HashMap;

use deadpool_postgres::GenericClient;
use natter_protocol::{ChatMessage, ConversationSummary};
use tokio_postgres::Row;

use crate::{error::DbResult, groups, messages, users};

/// Unread messages are counted up to this many per conversation, so a long backlog costs a bounded count.
const UNREAD_CAP: i64 = 1000;

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

/// Every conversation of `user` (the direct ones and those of their groups) with its peer or
/// group, read marks, unread count and last message; most recent activity first. Two queries.
pub async fn conversation_list(
    client: &impl GenericClient,
    user: i64,
) -> DbResult<Vec<ConversationSummary>> {
    let mut list = summaries(client, user).await?;
    let convs: Vec<i64> = list.iter().map(|s| s.conv).collect();
    let mut last = last_messages(client, &convs).await?;
    for summary in &mut list {
        summary.last_message = last.remove(&summary.conv);
    }
    // Newest activity first; conversations without messages last, newest first.
    list.sort_by_key(|s| {
        (
            std::cmp::Reverse(s.last_message.as_ref().map(|m| m.ts)),
            std::cmp::Reverse(s.conv),
        )
    });
    Ok(list)
}

/// The conversations of `user` without their last messages.
async fn summaries(client: &impl GenericClient, user: i64) -> DbResult<Vec<ConversationSummary>> {
    // Columns 0..=5 are the conversation, then the peer's user columns (6..=9, null for a group)
    // and the group columns (10..=14, null for a direct conversation).
    let sql = format!(
        "with mine as (
             select c.id, case when c.user_lo = $1 then c.user_hi else c.user_lo end as peer,
                    null::bigint as group_id
             from conversations c where c.kind = 1 and $1 in (c.user_lo, c.user_hi)
             union all
             select c.id, null, c.group_id from conversations c
             join group_members gm on gm.group_id = c.group_id and gm.user_id = $1
             where c.kind = 2
         )
         select mine.id, (mine.group_id is not null),
                coalesce((select max(seq) from messages x where x.conv_id = mine.id), 0),
                coalesce(r.seq, 0), coalesce(pr.seq, 0),
                (select count(*) from (
                     select 1 from messages x
                     where x.conv_id = mine.id and x.seq > coalesce(r.seq, 0) and x.sender_id <> $1
                     limit {UNREAD_CAP}) unread),
                {}, {}
         from mine
         left join read_receipts r on r.user_id = $1 and r.conv_id = mine.id
         left join read_receipts pr on pr.user_id = mine.peer and pr.conv_id = mine.id
         left join users u on u.id = mine.peer
         left join groups g on g.id = mine.group_id
         left join conversations c on c.id = mine.id and g.id is not null",
        users::COLUMNS,
        groups::COLUMNS
    );
    let rows = client.query(&sql, &[&user]).await?;
    Ok(rows.iter().map(summary_from_row).collect())
}

fn summary_from_row(row: &Row) -> ConversationSummary {
    let is_group: bool = row.get(1);
    let peer_id: Option<i64> = row.get(6);
    ConversationSummary {
        conv: row.get(0),
        kind: if is_group { "group" } else { "direct" }.to_owned(),
        peer: peer_id.map(|_| users::from_row_at(row, 6)),
        group: is_group.then(|| groups::from_row_at(row, 10)),
        last_seq: row.get(2),
        read_seq: row.get(3),
        peer_read_seq: row.get(4),
        unread: row.get(5),
        last_message: None,
    }
}

/// The newest message of each conversation that has one.
async fn last_messages(
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
