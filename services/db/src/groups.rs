//! Groups and their members.

use deadpool_postgres::{GenericClient, Transaction};
use natter_protocol::{Group, User};
use tokio_postgres::Row;

use crate::{conversations, error::DbResult, users};

/// Columns read by [`from_row_at`]: the group `g`, its conversation `c` and its member count.
pub const COLUMNS: &str = "g.id, g.name, g.owner_id, c.id,
     (select count(*) from group_members m where m.group_id = g.id)";

fn group_from_row(row: &Row) -> Group {
    from_row_at(row, 0)
}

/// Reads the [`COLUMNS`] that start at column `start` of a wider row.
pub fn from_row_at(row: &Row, start: usize) -> Group {
    Group {
        id: row.get(start),
        name: row.get(start + 1),
        owner_id: row.get(start + 2),
        conv: row.get(start + 3),
        member_count: row.get(start + 4),
    }
}

/// Creates a group with its owner as first member, and its conversation.
pub async fn create(
    client: &mut deadpool_postgres::Client,
    owner: i64,
    name: &str,
) -> DbResult<Group> {
    let tx = client.transaction().await?;
    let group = create_in(&tx, owner, name).await?;
    tx.commit().await?;
    Ok(group)
}

/// [`create`] inside a transaction the caller commits.
pub async fn create_in(tx: &Transaction<'_>, owner: i64, name: &str) -> DbResult<Group> {
    let id: i64 = tx
        .query_one(
            "insert into groups (name, owner_id) values ($1, $2) returning id",
            &[&name, &owner],
        )
        .await?
        .get(0);
    tx.execute(
        "insert into group_members (group_id, user_id) values ($1, $2)",
        &[&id, &owner],
    )
    .await?;
    let conv = conversations::of_group(tx, id).await?;
    Ok(Group {
        id,
        name: name.to_owned(),
        owner_id: owner,
        conv,
        member_count: 1,
    })
}

/// A group by id.
pub async fn by_id(client: &impl GenericClient, id: i64) -> DbResult<Option<Group>> {
    let row = client
        .query_opt(
            &format!(
                "select {COLUMNS} from groups g
                 join conversations c on c.group_id = g.id and c.kind = 2 where g.id = $1"
            ),
            &[&id],
        )
        .await?;
    Ok(row.as_ref().map(group_from_row))
}

/// Adds a member; returns false when the user already was one.
pub async fn join(client: &impl GenericClient, group: i64, user: i64) -> DbResult<bool> {
    let added = client
        .execute(
            "insert into group_members (group_id, user_id) values ($1, $2) on conflict do nothing",
            &[&group, &user],
        )
        .await?;
    Ok(added > 0)
}

/// Removes a member; returns false when the user was not one.
pub async fn leave(client: &impl GenericClient, group: i64, user: i64) -> DbResult<bool> {
    let removed = client
        .execute(
            "delete from group_members where group_id = $1 and user_id = $2",
            &[&group, &user],
        )
        .await?;
    Ok(removed > 0)
}

/// Whether the user is a member of the group.
pub async fn is_member(client: &impl GenericClient, group: i64, user: i64) -> DbResult<bool> {
    let row = client
        .query_opt(
            "select 1 from group_members where group_id = $1 and user_id = $2",
            &[&group, &user],
        )
        .await?;
    Ok(row.is_some())
}

/// The groups a user belongs to, by name.
pub async fn of_user(client: &impl GenericClient, user: i64) -> DbResult<Vec<Group>> {
    let rows = client
        .query(
            &format!(
                "select {COLUMNS} from group_members me
                 join groups g on g.id = me.group_id
                 join conversations c on c.group_id = g.id and c.kind = 2
                 where me.user_id = $1 order by lower(g.name), g.id"
            ),
            &[&user],
        )
        .await?;
    Ok(rows.iter().map(group_from_row).collect())
}

/// Groups whose name contains `query` (case-insensitive), at most `limit`, to find one to join.
pub async fn search(client: &impl GenericClient, query: &str, limit: i64) -> DbResult<Vec<Group>> {
    let pattern = format!("%{}%", users::escape_like(&query.to_lowercase()));
    let rows = client
        .query(
            &format!(
                "select {COLUMNS} from groups g
                 join conversations c on c.group_id = g.id and c.kind = 2
                 where lower(g.name) like $1 order by lower(g.name), g.id limit $2"
            ),
            &[&pattern, &limit],
        )
        .await?;
    Ok(rows.iter().map(group_from_row).collect())
}

/// The members of a group, by nickname.
pub async fn members(client: &impl GenericClient, group: i64) -> DbResult<Vec<User>> {
    let rows = client
        .query(
            &format!(
                "select {} from group_members m
             join users u on u.id = m.user_id
             where m.group_id = $1 order by lower(u.nickname), u.id",
                users::COLUMNS
            ),
            &[&group],
        )
        .await?;
    Ok(rows.iter().map(users::from_row).collect())
}
