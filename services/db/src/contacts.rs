//! Contacts: mutual links between two users.

use deadpool_postgres::GenericClient;
use natter_protocol::User;

use crate::users;

use crate::error::DbResult;

/// Links two users both ways; linking again changes nothing.
pub async fn link(client: &impl GenericClient, a: i64, b: i64) -> DbResult<()> {
    client
        .execute(
            "insert into contacts (user_id, contact_id) values ($1, $2), ($2, $1) on conflict do nothing",
            &[&a, &b],
        )
        .await?;
    Ok(())
}

/// Removes the link both ways; returns whether there was one.
pub async fn unlink(client: &impl GenericClient, a: i64, b: i64) -> DbResult<bool> {
    let removed = client
        .execute(
            "delete from contacts where (user_id = $1 and contact_id = $2) or (user_id = $2 and contact_id = $1)",
            &[&a, &b],
        )
        .await?;
    Ok(removed > 0)
}

/// The contacts of a user, by nickname.
pub async fn of_user(client: &impl GenericClient, user: i64) -> DbResult<Vec<User>> {
    let rows = client
        .query(
            &format!(
                "select {} from contacts c
             join users u on u.id = c.contact_id
             where c.user_id = $1 order by lower(u.nickname), u.id",
                users::COLUMNS
            ),
            &[&user],
        )
        .await?;
    Ok(rows.iter().map(users::from_row).collect())
}
