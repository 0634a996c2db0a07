//! The upload service runs as its own database role (`natter_upload`, from the migrations), which
//! holds only what the service needs: every route works with it, and the rest of the schema is
//! out of its reach.

use serde_json::json;

use crate::{
    helpers::{TestApp, shared, spawn_app, spawn_app_with},
    samples,
};

/// A login role that is a member of `natter_upload`, dropped with this value.
struct UploadLogin {
    /// The test's database as the administrator.
    admin_url: String,
    name: String,
}

impl UploadLogin {
    async fn create(app: &TestApp) -> Self {
        let name = format!("natter_upload_t{}", uuid::Uuid::new_v4().simple());
        let client = app.pool.get().await.expect("db");
        client
            .batch_execute(&format!("create role {name} login in role natter_upload"))
            .await
            .expect("login role");
        Self {
            admin_url: app.db_url.clone(),
            name,
        }
    }

    /// The URL of `app`'s database, as this login.
    fn url(&self, app: &TestApp) -> String {
        let database = app.db_url.rsplit('/').next().expect("database name");
        format!("postgres://{}@127.0.0.1:5432/{database}", self.name)
    }
}

impl Drop for UploadLogin {
    fn drop(&mut self) {
        // On a thread of its own with its own connection: the test's runtime is blocked here.
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Runtime::new()
                .expect("runtime")
                .block_on(async move {
                    let admin = natter_db::connect_without_migrating(&url, 1).await?;
                    let client = admin.get().await?;
                    client
                        .batch_execute(&format!(
                            "select pg_terminate_backend(pid) from pg_stat_activity where usename = '{name}';
                             drop role if exists {name}"
                        ))
                        .await
                        .map_err(natter_db::DbError::from)
                })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop role {}: {dropped:?}", self.name);
        }
    }
}

#[tokio::test]
async fn the_upload_service_works_as_its_own_role_and_reaches_nothing_else() {
    let app = spawn_app().await;
    let login = UploadLogin::create(&app).await;
    let url = login.url(&app);
    let restricted = spawn_app_with(shared(), |config| {
        config.database.url = url.clone();
        config.database_migrate = false;
    })
    .await;
    let (alice_id, alice) = app.user("alice").await;
    let (bob_id, bob) = app.user("bob").await;
    let (_, carol) = app.user("carol").await;

    // Upload through the service and a direct upload (pending row: insert, select, delete).
    let (status, info) = restricted
        .upload(&alice, samples::png(24, 24), "image/png")
        .await;
    assert_eq!(status, 201, "{info}");
    let photo = samples::jpeg_with_exif();
    let request = json!({"kind": "image", "mime": "image/jpeg", "size": photo.len()});
    let (status, presigned) = restricted
        .post("/api/v1/media/uploads", &alice, &request)
        .await;
    assert_eq!(status, 201, "{presigned}");
    let mut put = reqwest::Client::new()
        .put(presigned["put_url"].as_str().expect("url"))
        .body(photo);
    for (name, value) in presigned["headers"].as_object().expect("headers") {
        put = put.header(name, value.as_str().expect("value"));
    }
    assert_eq!(put.send().await.expect("PUT").status(), 200);
    let complete = format!(
        "/api/v1/media/uploads/{}/complete",
        presigned["id"].as_str().unwrap()
    );
    let (status, body) = restricted.post(&complete, &alice, &json!({})).await;
    assert_eq!(status, 201, "{body}");

    // The access check joins the conversation tables: bob (in the conversation) may read.
    let media_id = uuid::Uuid::parse_str(info["id"].as_str().expect("id")).expect("uuid");
    let admin = app.pool.get().await.expect("db");
    let (lo, hi) = (alice_id.min(bob_id), alice_id.max(bob_id));
    let conv: i64 = admin
        .query_one(
            "insert into conversations (kind, user_lo, user_hi) values (1, $1, $2) returning id",
            &[&lo, &hi],
        )
        .await
        .expect("conversation")
        .get(0);
    admin
        .execute(
            "insert into messages (conv_id, seq, sender_id, cmd, dstid, media, content, media_id, cid)
             values ($1, 1, $2, 10, $3, 4, '', $4, 'c1')",
            &[&conv, &alice_id, &bob_id, &media_id],
        )
        .await
        .expect("message");
    let path = format!("/media/{media_id}");
    assert_eq!(restricted.fetch_media(&path, &bob).await.0, 302);
    assert_eq!(restricted.fetch_media(&path, &carol).await.0, 404);

    // The sweeper's lock of expired pending uploads needs row locks.
    let own = natter_db::connect_without_migrating(&url, 1)
        .await
        .expect("pool");
    let mut own = own.get().await.expect("connection");
    let tx = own.transaction().await.expect("tx");
    natter_db::media::lock_expired_pending(&tx, std::time::Duration::ZERO, 10)
        .await
        .expect("the sweeper's lock");
    tx.rollback().await.expect("rollback");

    // Nothing else: message text, password hashes, other tables, the schema.
    for forbidden in [
        "select content from messages",
        "select password_hash from users",
        "select 1 from contacts",
        "delete from messages",
        "update conversations set kind = 1",
        "create table intruder (id int)",
        "drop table media",
    ] {
        let refused = own.batch_execute(forbidden).await.expect_err(forbidden);
        let code = refused.code().map(|c| c.code().to_owned());
        assert_eq!(code.as_deref(), Some("42501"), "{forbidden}: {refused}");
    }
}
