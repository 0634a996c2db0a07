//! Memberships: what the realtime hub loads when a user connects (their groups and contacts), and
//! creating and joining groups within the per-user cap.

use std::collections::HashSet;

use deadpool_postgres::{Client, GenericClient, Transaction};
use natter_protocol::Group;

use crate::{error::DbResult, groups};

/// The groups and the contacts of a user.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Memberships {
    pub groups: HashSet<i64>,
    pub contacts: HashSet<i64>,
}

/// Loads the groups and contacts of `user` in one round trip; `None` when there is no such user
/// (a token signed for a database that has since been reset, say).
pub async fn of_user(client: &impl GenericClient, user: i64) -> DbResult<Option<Memberships>> {
    let rows = client
        .query(
            "select 'u', id from users where id = $1
             union all
             select 'g', group_id from group_members where user_id = $1
             union all
             select 'c', contact_id from contacts where user_id = $1",
            &[&user],
        )
        .await?;
    let mut exists = false;
    let mut found = Memberships::default();
    for row in rows {
        let id: i64 = row.get(1);
        match row.get::<_, &str>(0) {
            "u" => exists = true,
            "g" => _ = found.groups.insert(id),
            _ => _ = found.contacts.insert(id),
        }
    }
    Ok(exists.then_some(found))
}

/// Whether a user with this id exists.
pub async fn user_exists(client: &impl GenericClient, user: i64) -> DbResult<bool> {
    Ok(client
        .query_opt("select 1 from users where id = $1", &[&user])
        .await?
        .is_some())
}

/// The user already belongs to `max` groups, the most allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a user may belong to at most {max} groups")]
pub struct TooManyGroups {
    pub max: i64,
}

/// What [`join_group`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    Added,
    /// The user already was a member (joining twice is harmless).
    AlreadyMember,
}

/// Creates a group owned by `owner` (its first member), unless they already belong to `max` groups.
pub async fn create_group(
    client: &mut Client,
    owner: i64,
    name: &str,
    max: i64,
) -> DbResult<Result<Group, TooManyGroups>> {
    let tx = client.transaction().await?;
    if group_count_locked(&tx, owner).await? >= max {
        return Ok(Err(TooManyGroups { max }));
    }
    let group = groups::create_in(&tx, owner, name).await?;
    tx.commit().await?;
    Ok(Ok(group))
}

/// Adds `user` to `group`, unless they already belong to `max` groups.
pub async fn join_group(
    client: &mut Client,
    group: i64,
    user: i64,
    max: i64,
) -> DbResult<Result<Joined, TooManyGroups>> {
    let tx = client.transaction().await?;
    let count = group_count_locked(&tx, user).await?;
    if groups::is_member(&tx, group, user).await? {
        return Ok(Ok(Joined::AlreadyMember));
    }
    if count >= max {
        return Ok(Err(TooManyGroups { max }));
    }
    groups::join(&tx, group, user).await?;
    tx.commit().await?;
    Ok(Ok(Joined::Added))
}

/// How many groups `user` belongs to, with their account row locked until the transaction ends,
/// so that concurrent creates and joins of one user are counted one after the other. (`for no key
/// update` does not block the key-share locks that inserting their memberships takes.)
async fn group_count_locked(tx: &Transaction<'_>, user: i64) -> DbResult<i64> {
    tx.execute(
        "select 1 from users where id = $1 for no key update",
        &[&user],
    )
    .await?;
    let row = tx
        .query_one(
            "select count(*) from group_members where user_id = $1",
            &[&user],
        )
        .await?;
    Ok(row.get(0))
}
