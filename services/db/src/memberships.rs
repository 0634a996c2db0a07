//! What the realtime hub loads when a user connects: their groups and contacts.

use std::collections::HashSet;

use deadpool_postgres::GenericClient;

use crate::error::DbResult;

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
