//! `infra/db/roles.sql` (the deployment's role set-up) followed by the migrations applied as the
//! hub's role: the hub owns and migrates the database without being a superuser, and the upload
//! role gets its grants. Runs psql as a deployment does.

use std::process::Command;

const SERVER: &str = "postgres://postgres@127.0.0.1:5432";

#[tokio::test]
async fn the_role_set_up_lets_the_hub_migrate_as_its_own_role() {
    let name = format!("natter_test_roles_{}", std::process::id());
    let admin_url = format!("{SERVER}/{name}");
    let admin = natter_db::connect_without_migrating(&admin_url, 1)
        .await
        .expect("scratch database");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../infra/db/roles.sql");
    let psql = Command::new("psql")
        .args(["-q", "-X", &admin_url, "-v", "hub_password=hub-pw"])
        .args(["-v", "upload_password=upload-pw", "-f", script])
        .output()
        .expect("psql runs");
    assert!(
        psql.status.success(),
        "{}",
        String::from_utf8_lossy(&psql.stderr)
    );
    // Twice is harmless (a re-run only resets the passwords).
    let again = Command::new("psql")
        .args(["-q", "-X", &admin_url, "-v", "hub_password=hub-pw"])
        .args(["-v", "upload_password=upload-pw", "-f", script])
        .status()
        .expect("psql runs");
    assert!(again.success());

    let hub_url = format!("postgres://natter_hub@127.0.0.1:5432/{name}");
    natter_db::connect(&hub_url, 1)
        .await
        .expect("the hub's role applies the migrations");
    let client = admin.get().await.expect("connection");
    let row = client
        .query_one(
            "select pg_get_userbyid(c.relowner), r.rolsuper, r.rolcreaterole,
                    has_table_privilege('natter_upload', 'media', 'insert'),
                    has_column_privilege('natter_upload', 'messages', 'content', 'select')
             from pg_class c, pg_roles r
             where c.relname = 'messages' and r.rolname = 'natter_hub'",
            &[],
        )
        .await
        .expect("catalog");
    let owner: String = row.get(0);
    let flags: (bool, bool, bool, bool) = (row.get(1), row.get(2), row.get(3), row.get(4));
    assert_eq!(owner, "natter_hub");
    assert_eq!(
        flags,
        (false, false, true, false),
        "(superuser, createrole, media, content)"
    );
    drop(client);
    drop(admin);
    natter_db::drop_test_database(&admin_url);
}
