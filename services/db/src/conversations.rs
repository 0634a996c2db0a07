//! Conversations: a pair of users (direct) or a group, each with its own seq counter.

use std::collections::HashSet;

use deadpool_postgres::GenericClient;

use crate::error::DbResult;

/// `conversations.kind` of a pair of users.
pub const KIND_DIRECT: i16 = 1;
/// `conversations.kind` of a group.
pub const KIND_GROUP: i16 = 2;

// Finding or creating a conversation is a look-up, then, for what is missing, an insert with
// `on conflict do update`. `do nothing` would not do: when another transaction has inserted the
// same conversation and not yet committed, the insert waits for it, finds the conflict and returns
// nothing, and a look-up in the same statement cannot see the row either (its snapshot predates that
// commit). `do update` returns the conflicting row in every case; it is reached only in that race
// (the look-up found nothing), so it costs a row update once in a while, not on every call.

/// The direct conversation of two users, created on first use.
pub async fn direct(client: &impl GenericClient, a: i64, b: i64) -> DbResult<i64> {
    let (lo, hi) = (a.min(b), a.max(b));
    if let Some(row) = client
        .query_opt(
            "select id from conversations where kind = 1 and user_lo = $1 and user_hi = $2",
            &[&lo, &hi],
        )
        .await?
    {
        return Ok(row.get(0));
    }
    let row = client
        .query_one(
            "insert into conversations (kind, user_lo, user_hi) values (1, $1, $2)
             on conflict (user_lo, user_hi) where kind = 1 do update set user_lo = excluded.user_lo
             returning id",
            &[&lo, &hi],
        )
        .await?;
    Ok(row.get(0))
}

/// The direct conversations of many pairs at once (each `(lo, hi)` with `lo < hi`), created on
/// first use. Returns `((lo, hi), id)` for every pair asked for, even one that another transaction
/// was inserting meanwhile.
pub async fn direct_many(
    client: &impl GenericClient,
    pairs: &[(i64, i64)],
) -> DbResult<Vec<((i64, i64), i64)>> {
    let mut pairs = pairs.to_vec();
    // Distinct (an upsert may not touch a row twice), and sorted, so that concurrent upserts lock
    // rows in the same order.
    pairs.sort_unstable();
    pairs.dedup();
    let (los, his): (Vec<i64>, Vec<i64>) = pairs.iter().copied().unzip();
    let mut found = pair_rows(
        client
            .query(
                "select c.id, c.user_lo, c.user_hi from unnest($1::bigint[], $2::bigint[]) as p(lo, hi)
                 join conversations c on c.kind = 1 and c.user_lo = p.lo and c.user_hi = p.hi",
                &[&los, &his],
            )
            .await?,
    );
    if found.len() == pairs.len() {
        return Ok(found);
    }
    let known: HashSet<(i64, i64)> = found.iter().map(|(pair, _)| *pair).collect();
    let (los, his): (Vec<i64>, Vec<i64>) = pairs.into_iter().filter(|p| !known.contains(p)).unzip();
    found.extend(pair_rows(
        client
            .query(
                "insert into conversations (kind, user_lo, user_hi)
                 select 1, lo, hi from unnest($1::bigint[], $2::bigint[]) as p(lo, hi)
                 on conflict (user_lo, user_hi) where kind = 1 do update set user_lo = excluded.user_lo
                 returning id, user_lo, user_hi",
                &[&los, &his],
            )
            .await?,
    ));
    Ok(found)
}

fn pair_rows(rows: Vec<tokio_postgres::Row>) -> Vec<((i64, i64), i64)> {
    rows.iter()
        .map(|r| ((r.get(1), r.get(2)), r.get(0)))
        .collect()
}

/// The conversation of a group, created on first use.
pub async fn of_group(client: &impl GenericClient, group: i64) -> DbResult<i64> {
    if let Some(row) = client
        .query_opt(
            "select id from conversations where kind = 2 and group_id = $1",
            &[&group],
        )
        .await?
    {
        return Ok(row.get(0));
    }
    let row = client
        .query_one(
            "insert into conversations (kind, group_id) values (2, $1)
             on conflict (group_id) where kind = 2 do update set group_id = excluded.group_id
             returning id",
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
