//! Seeds load-test users, pairs and a group straight into the hub's database.

use natter_common::TokenKeys;

/// Users made for one run, with their tokens.
pub struct Seeded {
    pub users: Vec<i64>,
    pub tokens: Vec<String>,
    pub group: i64,
}

/// Creates `count` users (`lg<run>_<n>`), and a group whose members are the first `group_size`.
pub async fn seed(
    database_url: &str,
    secret: &str,
    count: usize,
    group_size: usize,
) -> anyhow::Result<Seeded> {
    let pool = natter_db::connect(database_url, 2).await?;
    let client = pool.get().await?;
    let run = std::process::id();
    // Load-test users cannot sign in: their hash is not a valid argon2 string.
    let rows = client
        .query(
            "insert into users (username, nickname, password_hash)
             select 'lg' || $1::text || '_' || n, 'load ' || n, '!' from generate_series(1, $2::int) n
             returning id",
            &[&run.to_string(), &(count as i32)],
        )
        .await?;
    let users: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    let group: i64 = client
        .query_one(
            "insert into groups (name, owner_id) values ('load test', $1) returning id",
            &[&users[0]],
        )
        .await?
        .get(0);
    let members: Vec<i64> = users.iter().copied().take(group_size).collect();
    client
        .execute(
            "insert into group_members (group_id, user_id) select $1, unnest($2::bigint[])",
            &[&group, &members],
        )
        .await?;
    natter_db::conversations::of_group(&client, group).await?;
    let keys = TokenKeys::new(secret.as_bytes(), std::time::Duration::from_secs(3600));
    let tokens = users.iter().map(|id| keys.issue(*id, "loadgen")).collect();
    Ok(Seeded {
        users,
        tokens,
        group,
    })
}
