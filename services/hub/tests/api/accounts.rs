//! Accounts: register, login, the signed-in user, and how bad input is answered.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn register_then_login_then_me() {
    let app = spawn_app().await;
    let (status, registered) = app
        .post(
            "/api/v1/register",
            None,
            &json!({"username": "Alice", "password": "correct horse", "nickname": "Alice A."}),
        )
        .await;
    assert_eq!(status, 201, "{registered}");
    assert_eq!(
        registered["user"]["username"], "alice",
        "usernames are stored lowercase"
    );
    assert_eq!(registered["user"]["nickname"], "Alice A.");

    let (status, logged_in) = app
        .post(
            "/api/v1/login",
            None,
            &json!({"username": "alice", "password": "correct horse"}),
        )
        .await;
    assert_eq!(status, 200, "{logged_in}");
    let token = logged_in["token"].as_str().expect("token");
    let (status, me) = app.get("/api/v1/me", Some(token)).await;
    assert_eq!(status, 200);
    assert_eq!(me["id"], registered["user"]["id"]);
    // The stored password is an argon2id hash, never the password.
    let client = app.pool.get().await.expect("db");
    let hash: String = client
        .query_one(
            "select password_hash from users where username = 'alice'",
            &[],
        )
        .await
        .expect("row")
        .get(0);
    assert!(hash.starts_with("$argon2id$"), "{hash}");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_401() {
    let app = spawn_app().await;
    app.register("alice").await;
    let (wrong_status, wrong) = app
        .post(
            "/api/v1/login",
            None,
            &json!({"username": "alice", "password": "not the one"}),
        )
        .await;
    let (unknown_status, unknown) = app
        .post(
            "/api/v1/login",
            None,
            &json!({"username": "nobody", "password": "not the one"}),
        )
        .await;
    assert_eq!((wrong_status, unknown_status), (401, 401));
    assert_eq!(
        wrong, unknown,
        "the answer does not tell which part was wrong"
    );
    assert_eq!(wrong["error"]["code"], "bad_credentials");
}

#[tokio::test]
async fn bad_registrations_are_refused_with_clear_errors() {
    let app = spawn_app().await;
    app.register("taken").await;
    let cases = [
        (json!({"username": "taken", "password": "long enough"}), 409),
        (json!({"username": "a", "password": "long enough"}), 422),
        (
            json!({"username": "bad name!", "password": "long enough"}),
            422,
        ),
        (json!({"username": "fine_name", "password": "short"}), 422),
        (json!({"username": "fine_name"}), 422),
        (
            json!({"username": "fine_name", "password": "long enough", "nickname": ""}),
            422,
        ),
    ];
    for (body, expected) in cases {
        let (status, answer) = app.post("/api/v1/register", None, &body).await;
        assert_eq!(status, expected, "{body} -> {answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{answer}"
        );
    }
    let response = app
        .http
        .post(format!("{}/api/v1/register", app.base_url))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.expect("json error body");
    assert_eq!(body["error"]["code"], "bad_request");
}

#[tokio::test]
async fn calls_without_a_valid_token_get_401() {
    let app = spawn_app().await;
    let (status, body) = app.get("/api/v1/me", None).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "unauthenticated");
    let (status, body) = app.get("/api/v1/me", Some("forged.token.here")).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "invalid_token");
}

#[tokio::test]
async fn health_readiness_config_and_metrics_answer() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz", None).await.0, 200);
    assert_eq!(app.get("/readyz", None).await.0, 200);
    let (status, config) = app.get("/api/v1/config", None).await;
    assert_eq!(status, 200);
    assert_eq!(config["hub"]["max_text_chars"], app.config.max_text_chars);
    assert_eq!(config["dev_login"], false);
    assert!(
        config["media"]["image_max_bytes"]
            .as_u64()
            .is_some_and(|b| b > 0)
    );
    assert!(
        app.metrics().await.contains("natter_"),
        "metrics are exported on the metrics address"
    );
    let (status, _) = app.get("/metrics", None).await;
    assert_eq!(status, 404, "metrics are not on the public address");
    let (_, ready) = app.get("/readyz", None).await;
    assert_eq!(ready["checks"][0]["name"], "database", "{ready}");
}

#[tokio::test]
async fn the_nickname_defaults_to_the_username_and_login_ignores_case() {
    let app = spawn_app().await;
    let (status, registered) = app
        .post(
            "/api/v1/register",
            None,
            &json!({"username": "dora_2", "password": "correct horse"}),
        )
        .await;
    assert_eq!(status, 201, "{registered}");
    assert_eq!(registered["user"]["nickname"], "dora_2");
    let (user, token) = app.login(" DORA_2 ").await;
    assert_eq!(user.username, "dora_2");
    let (status, found) = app
        .get(&format!("/api/v1/users/{}", user.id), Some(&token))
        .await;
    assert_eq!((status, &found["username"]), (200, &json!("dora_2")));
    assert_eq!(app.get("/api/v1/users/987654", Some(&token)).await.0, 404);
    assert_eq!(app.get("/api/v1/users/abc", Some(&token)).await.0, 400);
}

#[tokio::test]
async fn a_test_database_is_dropped_with_its_app() {
    let app = spawn_app().await;
    let name = app.db_url.rsplit('/').next().expect("name").to_owned();
    let admin =
        natter_db::connect_without_migrating("postgres://postgres@127.0.0.1:5432/postgres", 1)
            .await
            .expect("admin pool");
    let exists = || async {
        admin
            .get()
            .await
            .expect("admin connection")
            .query_opt("select 1 from pg_database where datname = $1", &[&name])
            .await
            .expect("query")
            .is_some()
    };
    assert!(exists().await, "the app has its own database");
    drop(app);
    assert!(!exists().await, "dropping the app drops its database");
}
