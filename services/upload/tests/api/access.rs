//! Who may fetch media: the owner, and members of a conversation where it was sent; storage outages.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use natter_hub::Application as Hub;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::{
    helpers::{
        S3Env, TOKEN_SECRET, repo_root, spawn_app, spawn_app_with, start_garage, stop_garage,
        test_port,
    },
    samples,
};

#[tokio::test]
async fn only_the_owner_sees_media_that_was_never_sent() {
    let app = spawn_app().await;
    let (_, alice) = app.user("alice").await;
    let (_, eve) = app.user("eve").await;
    let (_, info) = app.upload(&alice, samples::png(20, 20), "image/png").await;
    let url = info["url"].as_str().expect("url");
    assert_eq!(app.fetch_media(url, &alice).await.0, 302);
    assert_eq!(
        app.fetch_media(url, &eve).await.0,
        404,
        "a stranger gets a 404"
    );
    assert_eq!(app.fetch_media("/media/not-a-uuid", &alice).await.0, 404);
    let response = app
        .http
        .get(format!("{}{url}", app.base_url))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 401, "no token");
}

/// The whole path: alice uploads, sends an image message through the real hub, bob (a member of
/// the conversation) receives it and fetches the image; carol (not a member) cannot.
#[tokio::test]
async fn an_image_sent_through_the_hub_can_be_fetched_by_the_recipient() {
    let app = spawn_app().await;
    let mut hub_config = natter_hub::Config::for_tests(app.db_url.clone());
    hub_config.secrets = natter_common::settings::SecretArgs::with_secret(TOKEN_SECRET);
    let hub = Hub::build(hub_config).await.expect("hub builds");
    let ws_url = format!("ws://{}/ws", hub.local_addr());
    tokio::spawn(hub.run_until_stopped(std::future::pending()));
    let (_, alice) = app.user("alice").await;
    let (bob_id, bob) = app.user("bob").await;
    let (_, carol) = app.user("carol").await;
    let (_, info) = app
        .upload(&alice, samples::jpeg_with_exif(), "image/jpeg")
        .await;
    let media_id = info["id"].as_str().expect("id");

    let (mut alice_ws, _) = tokio_tungstenite::connect_async(format!("{ws_url}?token={alice}"))
        .await
        .expect("ws");
    let (mut bob_ws, _) = tokio_tungstenite::connect_async(format!("{ws_url}?token={bob}"))
        .await
        .expect("ws");
    let frame = json!({"cmd": 10, "dstid": bob_id, "media": 4, "media_id": media_id, "cid": "img1", "content": ""});
    alice_ws
        .send(Message::Text(frame.to_string().into()))
        .await
        .expect("sent");
    let delivered = next_message(&mut bob_ws).await;
    assert_eq!(delivered["media"], 4);
    assert_eq!(
        delivered["url"],
        format!("/media/{media_id}"),
        "the hub sets the URL"
    );
    assert_eq!(delivered["pic"], format!("/media/{media_id}/thumb"));

    let (status, bytes) = app
        .fetch_media(delivered["url"].as_str().expect("url"), &bob)
        .await;
    assert_eq!(status, 302);
    assert!(
        image::load_from_memory(&bytes.expect("bytes")).is_ok(),
        "bob gets the picture"
    );
    assert_eq!(
        app.fetch_media(delivered["pic"].as_str().expect("pic"), &bob)
            .await
            .0,
        302
    );
    assert_eq!(
        app.fetch_media(delivered["url"].as_str().expect("url"), &carol)
            .await
            .0,
        404
    );

    // Someone else's media id is refused by the hub.
    let (_, carols) = app.upload(&carol, samples::png(9, 9), "image/png").await;
    let stolen = json!({"cmd": 10, "dstid": bob_id, "media": 4, "media_id": carols["id"], "cid": "img2", "content": ""});
    alice_ws
        .send(Message::Text(stolen.to_string().into()))
        .await
        .expect("sent");
    let refused = loop {
        let v = next_json(&mut alice_ws).await;
        if v["cid"] == "img2" {
            break v;
        }
    };
    assert_eq!(refused["code"], "bad_media");
}

async fn next_json<S>(ws: &mut S) -> Value
where
    S: StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let next = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame in time");
        if let Some(Ok(Message::Text(text))) = next {
            return serde_json::from_str(text.as_str()).expect("json");
        }
    }
}

async fn next_message<S>(ws: &mut S) -> Value
where
    S: StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let v = next_json(ws).await;
        if v["cmd"] == 10 {
            return v;
        }
    }
}

#[tokio::test]
async fn storage_outage_is_a_503_and_the_service_recovers() {
    let dir = repo_root().join(".data/test/s3-outage-test");
    std::fs::create_dir_all(&dir).expect("dir");
    let port = test_port("TEST_S3_OUTAGE_PORT", 3950);
    let garage: S3Env = start_garage(&dir, port);
    let app = spawn_app_with(&garage, |_| {}).await;
    let (_, token) = app.user("alice").await;
    assert_eq!(
        app.upload(&token, samples::png(12, 12), "image/png")
            .await
            .0,
        201
    );

    // A direct upload whose bytes arrived before the outage.
    let png = samples::png(14, 14);
    let request = json!({"kind": "image", "mime": "image/png", "size": png.len()});
    let (_, presigned) = app.post("/api/v1/media/uploads", &token, &request).await;
    let mut put = reqwest::Client::new()
        .put(presigned["put_url"].as_str().expect("url"))
        .body(png);
    for (name, value) in presigned["headers"].as_object().expect("headers") {
        put = put.header(name, value.as_str().expect("value"));
    }
    assert_eq!(put.send().await.expect("PUT").status(), 200);
    let complete = format!(
        "/api/v1/media/uploads/{}/complete",
        presigned["id"].as_str().expect("id")
    );

    stop_garage(&garage);
    let (status, body) = app.upload(&token, samples::png(13, 13), "image/png").await;
    assert_eq!(status, 503, "{body}");
    let (status, body) = app.post(&complete, &token, &json!({})).await;
    assert_eq!(status, 503, "completing needs storage: {body}");
    let ready = app
        .http
        .get(format!("{}/readyz", app.base_url))
        .send()
        .await
        .expect("sent");
    assert_eq!(ready.status(), 503);
    let client = app.pool.get().await.expect("db");
    let rows: i64 = client
        .query_one("select count(*) from media", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(rows, 1, "nothing half-written");

    let restarted = start_garage(&dir, port);
    let (status, body) = app.upload(&token, samples::png(13, 13), "image/png").await;
    let (completed, info) = app.post(&complete, &token, &json!({})).await;
    stop_garage(&restarted);
    assert_eq!(status, 201, "recovered: {body}");
    assert_eq!(
        completed, 201,
        "the direct upload completes on retry: {info}"
    );
}
