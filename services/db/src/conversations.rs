//! Conversations: a pair of users (direct) or a group, each with its own seq counter.

use deadpool_postgres::GenericClient;

use crate::error::DbResult;

/// `conversations.kind` of a pair of users.
pub const KIND_DIRECT: i16 = 1;
/// `conversations.kind` of a group.
pub const KIND_GROUP: i16 = 2;

/// The direct conversation of two users, created on first use.
pub async fn direct(client: &impl GenericClient, a: i64, b: i64) -> DbResult<i64> {
    let (lo, hi) = (a.min(b), a.max(b));
    let row = client
        .query_one(
            "with ins as (
                 insert into conversations (kind, user_lo, user_hi) values (1, $1, $2)
                 on conflict (user_lo, user_hi) where kind = 1 do nothing
                 returning id
             )
             select id from ins
             union all
             select id from conversations where kind = 1 and user_lo = $1 and user_hi = $2
             limit 1",
            &[&lo, &hi],
        )
        .await?;
    Ok(row.get(0))
}

/// The direct conversations of many pairs at once (each `(lo, hi)` with `lo < hi`), created on
/// first use, in one round trip. Returns `((lo, hi), id)` for every pair.
pub async fn direct_many(
    client: &impl GenericClient,
    pairs: &[(i64, i64)],
) -> DbResult<Vec<((i64, i64), i64)>> {
    let (los, his): (Vec<i64>, Vec<i64>) = pairs.iter().copied().unzip();
    let rows = client
        .query(
            "with pairs as (select * from unnest($1::bigint[], $2::bigint[]) as p(lo, hi)),
             ins as (
                 insert into conversations (kind, user_lo, user_hi)
                 select 1, lo, hi from pairs
                 on conflict (user_lo, user_hi) where kind = 1 do nothing
                 returning id, user_lo, user_hi
             )
             select id, user_lo, user_hi from ins
             union all
             select c.id, c.user_lo, c.user_hi from conversations c
             join pairs p on c.kind = 1 and c.user_lo = p.lo and c.user_hi = p.hi",
            &[&los, &his],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| ((r.get(1), r.get(2)), r.get(0)))
        .collect())
}

/// The conversation of a group, created on first use.
pub async fn of_group(client: &impl GenericClient, group: i64) -> DbResult<i64> {
    let row = client
        .query_one(
            "with ins as (
                 insert into conversations (kind, group_id) values (2, $1)
                 on conflict (group_id) where kind = 2 do nothing
                 returning id
             )
             select id from ins
             union all
             select id from conversations where kind = 2 and group_id = $1
             limit 1",
            &[&group],
        )
        .await?;
    Ok(row.get(0))
}

/// Whether `user` belongs to conversation `conv` (one of the pair, or a member of the group).
pub async fn is_member(client: &impl GenericClient, user: i64, conv: i64) -> DbResult<bool> {
    let row = client
        .query_opt(
            "select 1 from conversations c
             where c.id = $2 and (
                 (c.kind = 1 and $1 in (c.user_lo, c.user_hi))
                 or (c.kind = 2 and exists (
                     select 1 from group_members m where m.group_id = c.group_id and m.user_id = $1))
             )",
            &[&user, &conv],
        )
        .await?;
    Ok(row.is_some())
}

/// Who receives what is sent in a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Participants {
    /// The two users of a direct conversation.
    Pair(i64, i64),
    /// The members of a group.
    Group(i64),
}

/// The participants of a conversation, if it exists.
pub async fn participants(
    client: &impl GenericClient,
    conv: i64,
) -> DbResult<Option<Participants>> {
    let row = client
        .query_opt(
            "select kind, user_lo, user_hi, group_id from conversations where id = $1",
            &[&conv],
        )
        .await?;
    Ok(row.map(|r| match r.get::<_, i16>(0) {
        KIND_DIRECT => Participants::Pair(r.get(1), r.get(2)),
        _ => Participants::Group(r.get(3)),
    }))
}
