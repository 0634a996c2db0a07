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

/// Loads the groups and contacts of `user` in one round trip.
pub async fn of_user(client: &impl GenericClient, user: i64) -> DbResult<Memberships> {
    let rows = client
        .query(
            "select 'g', group_id from group_members where user_id = $1
             union all
             select 'c', contact_id from contacts where user_id = $1",
            &[&user],
        )
        .await?;
    let mut found = Memberships::default();
    for row in rows {
        let id: i64 = row.get(1);
        match row.get::<_, &str>(0) {
            "g" => found.groups.insert(id),
            _ => found.contacts.insert(id),
        };
    }
    Ok(found)
}

/// Whether a user with this id exists.
pub async fn user_exists(client: &impl GenericClient, user: i64) -> DbResult<bool> {
    Ok(client
        .query_opt("select 1 from users where id = $1", &[&user])
        .await?
        .is_some())
}
