//! Users: accounts and look-ups.

use deadpool_postgres::GenericClient;
use natter_protocol::User;
use tokio_postgres::Row;

use crate::error::DbResult;

/// The columns [`from_row`] reads; select them from `users u`.
pub const COLUMNS: &str = "u.id, u.username, u.nickname, u.avatar";

/// Reads a row selected with [`COLUMNS`].
pub fn from_row(row: &Row) -> User {
    from_row_at(row, 0)
}

/// Reads the [`COLUMNS`] that start at column `start` of a wider row.
pub fn from_row_at(row: &Row, start: usize) -> User {
    User {
        id: row.get(start),
        username: row.get(start + 1),
        nickname: row.get(start + 2),
        avatar: row.get(start + 3),
    }
}

/// Creates a user; a taken username violates `users_username_key`.
pub async fn create(
    client: &impl GenericClient,
    username: &str,
    nickname: &str,
    password_hash: &str,
) -> DbResult<User> {
    let row = client
        .query_one(
            &format!("insert into users as u (username, nickname, password_hash) values ($1, $2, $3) returning {COLUMNS}"),
            &[&username, &nickname, &password_hash],
        )
        .await?;
    Ok(from_row(&row))
}

/// A user and their password hash, by username.
pub async fn with_hash(
    client: &impl GenericClient,
    username: &str,
) -> DbResult<Option<(User, String)>> {
    let row = client
        .query_opt(
            &format!("select {COLUMNS}, u.password_hash from users u where u.username = $1"),
            &[&username],
        )
        .await?;
    Ok(row.map(|r| (from_row(&r), r.get(4))))
}

/// A user by id.
pub async fn by_id(client: &impl GenericClient, id: i64) -> DbResult<Option<User>> {
    let row = client
        .query_opt(
            &format!("select {COLUMNS} from users u where u.id = $1"),
            &[&id],
        )
        .await?;
    Ok(row.as_ref().map(from_row))
}

/// Users whose username or nickname contains `query` (case-insensitive), at most `limit`.
pub async fn search(client: &impl GenericClient, query: &str, limit: i64) -> DbResult<Vec<User>> {
    let pattern = format!("%{}%", escape_like(&query.to_lowercase()));
    let rows = client
        .query(
            &format!(
                "select {COLUMNS} from users u
                 where u.username like $1 or lower(u.nickname) like $1
                 order by (u.username = $2) desc, u.username limit $3"
            ),
            &[&pattern, &query.to_lowercase(), &limit],
        )
        .await?;
    Ok(rows.iter().map(from_row).collect())
}

/// Escapes LIKE wildcards so user input matches literally.
pub(crate) fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The users with these ids.
pub async fn by_ids(client: &impl GenericClient, ids: &[i64]) -> DbResult<Vec<User>> {
    let rows = client
        .query(
            &format!("select {COLUMNS} from users u where u.id = any($1)"),
            &[&ids],
        )
        .await?;
    Ok(rows.iter().map(from_row).collect())
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like(r"50%_off\"), r"50\%\_off\\");
        assert_eq!(escape_like("plain"), "plain");
    }
}
