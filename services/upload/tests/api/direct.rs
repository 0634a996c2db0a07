//! Direct uploads: presigned PUT to `pending/`, then complete (verify, process, promote).

use serde_json::json;

use crate::{helpers::spawn_app, samples};

async fn put(url: &str, headers: &serde_json::Value, body: Vec<u8>) -> u16 {
    let mut request = reqwest::Client::new().put(url).body(body);
    for (name, value) in headers.as_object().expect("headers") {
        request = request.header(name, value.as_str().expect("header value"));
    }
    request.send().await.expect("PUT sent").status().as_u16()
}

#[tokio::test]
async fn a_presigned_upload_is_verified_processed_and_promoted() {
    let app = spawn_app().await;
    let (_, token) = app.user("alice").await;
    let photo = samples::jpeg_with_exif();
    let request = json!({"kind": "image", "mime": "image/jpeg", "size": photo.len()});
    let (status, presigned) = app.post("/api/v1/media/uploads", &token, &request).await;
    assert_eq!(status, 201, "{presigned}");
    assert!(
        presigned["put_url"]
            .as_str()
            .is_some_and(|u| u.contains("pending/"))
    );
    // The page PUTs from another origin: the bucket's CORS rule (set by scripts/s3-local) allows it.
    let preflight = reqwest::Client::new()
        .request(
            reqwest::Method::OPTIONS,
            presigned["put_url"].as_str().expect("url"),
        )
        .header("origin", "http://127.0.0.1:8088")
        .header("access-control-request-method", "PUT")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .expect("preflight sent");
    assert_eq!(preflight.status(), 200, "the bucket allows the page's PUT");
    assert!(
        preflight.headers()["access-control-allow-methods"]
            .to_str()
            .is_ok_and(|m| m.contains("PUT"))
    );
    assert_eq!(
        put(
            presigned["put_url"].as_str().expect("url"),
            &presigned["headers"],
            photo
        )
        .await,
        200
    );

    let id = presigned["id"].as_str().expect("id");
    let (status, info) = app
        .post(
            &format!("/api/v1/media/uploads/{id}/complete"),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(status, 201, "{info}");
    assert_eq!(
        (info["width"].as_u64(), info["height"].as_u64()),
        (Some(200), Some(400))
    );
    let (_, stored) = app
        .fetch_media(info["url"].as_str().expect("url"), &token)
        .await;
    assert!(!stored.expect("bytes").windows(4).any(|w| w == b"Exif"));
    let (status, _) = app
        .post(
            &format!("/api/v1/media/uploads/{id}/complete"),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(status, 404, "completes once");
}

#[tokio::test]
async fn a_presigned_upload_of_the_wrong_bytes_is_refused_and_forgotten() {
    let app = spawn_app().await;
    let (_, token) = app.user("alice").await;
    let fake = b"<svg onload=alert(1)>".repeat(10);
    let request = json!({"kind": "image", "mime": "image/png", "size": fake.len()});
    let (_, presigned) = app.post("/api/v1/media/uploads", &token, &request).await;
    assert_eq!(
        put(
            presigned["put_url"].as_str().expect("url"),
            &presigned["headers"],
            fake
        )
        .await,
        200
    );
    let id = presigned["id"].as_str().expect("id");
    let (status, body) = app
        .post(
            &format!("/api/v1/media/uploads/{id}/complete"),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(status, 415, "{body}");
    let client = app.pool.get().await.expect("db");
    let rows: i64 = client
        .query_one(
            "select (select count(*) from media) + (select count(*) from pending_uploads)",
            &[],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(rows, 0, "no media row, and the refused upload is forgotten");
    assert!(
        !app.storage
            .exists(&format!("pending/{id}"))
            .await
            .expect("head"),
        "the refused bytes are deleted"
    );
}

#[tokio::test]
async fn completing_before_the_bytes_arrived_can_be_retried() {
    let app = spawn_app().await;
    let (_, token) = app.user("alice").await;
    let png = samples::png(30, 20);
    let request = json!({"kind": "image", "mime": "image/png", "size": png.len()});
    let (_, presigned) = app.post("/api/v1/media/uploads", &token, &request).await;
    let id = presigned["id"].as_str().expect("id");
    let complete = format!("/api/v1/media/uploads/{id}/complete");
    let (status, body) = app.post(&complete, &token, &json!({})).await;
    assert_eq!(status, 404, "nothing was PUT yet: {body}");

    let url = presigned["put_url"].as_str().expect("url");
    assert_eq!(put(url, &presigned["headers"], png).await, 200);
    let (_, mallory) = app.user("mallory").await;
    let (status, _) = app.post(&complete, &mallory, &json!({})).await;
    assert_eq!(status, 404, "only the owner completes an upload");
    let (status, info) = app.post(&complete, &token, &json!({})).await;
    assert_eq!(status, 201, "the retry completes: {info}");
    assert_eq!(
        (info["width"].as_u64(), info["height"].as_u64()),
        (Some(30), Some(20))
    );
}

#[tokio::test]
async fn presign_requests_are_checked_and_urls_cannot_be_tampered_with() {
    let app = spawn_app().await;
    let (_, token) = app.user("alice").await;
    for (body, expected) in [
        (
            json!({"kind": "image", "mime": "text/html", "size": 10}),
            415,
        ),
        (
            json!({"kind": "voice", "mime": "audio/ogg", "size": 999_999_999u64}),
            413,
        ),
        (
            json!({"kind": "video", "mime": "video/mp4", "size": 10}),
            400,
        ),
    ] {
        let (status, answer) = app.post("/api/v1/media/uploads", &token, &body).await;
        assert_eq!(status, expected, "{body} -> {answer}");
    }
    let png = samples::png(8, 8);
    let request = json!({"kind": "image", "mime": "image/png", "size": png.len()});
    let (_, presigned) = app.post("/api/v1/media/uploads", &token, &request).await;
    let url = presigned["put_url"].as_str().expect("url");
    let tampered_key = url.replace("pending/", "media/");
    assert_eq!(
        put(&tampered_key, &presigned["headers"], png.clone()).await,
        403,
        "another key"
    );
    let mut wrong_type = presigned["headers"].clone();
    wrong_type["content-type"] = json!("text/html");
    assert_eq!(
        put(url, &wrong_type, png.clone()).await,
        403,
        "another content type"
    );
    let mut longer = png.clone();
    longer.extend_from_slice(&[0; 4096]);
    let mut actual_length = presigned["headers"].clone();
    actual_length
        .as_object_mut()
        .expect("headers")
        .remove("content-length");
    assert_eq!(
        put(url, &actual_length, longer).await,
        403,
        "more bytes than the size signed for"
    );
    let signature_at = url.find("X-Amz-Signature=").expect("signed") + "X-Amz-Signature=".len();
    let mut forged = url.to_owned();
    forged.replace_range(signature_at..signature_at + 4, "0000");
    assert_eq!(
        put(&forged, &presigned["headers"], png).await,
        403,
        "a forged signature"
    );
}

#[tokio::test]
async fn an_expired_presigned_url_is_refused() {
    let app =
        crate::helpers::spawn_app_with(crate::helpers::shared(), |c| c.presign_ttl_secs = 1).await;
    let (_, token) = app.user("alice").await;
    let png = samples::png(8, 8);
    let request = json!({"kind": "image", "mime": "image/png", "size": png.len()});
    let (_, presigned) = app.post("/api/v1/media/uploads", &token, &request).await;
    let url = presigned["put_url"].as_str().expect("url");
    // Poll until the URL has expired (a 1 s lifetime), at most 10 s; every answer before is a 200.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let status = loop {
        let status = put(url, &presigned["headers"], png.clone()).await;
        if status != 200 || std::time::Instant::now() > deadline {
            break status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    // S3 answers 403; Garage answers 400 ("expired"): either way the bytes are refused.
    assert!(
        status == 403 || status == 400,
        "refused once expired, got {status}"
    );
}

#[tokio::test]
async fn uploads_never_completed_are_swept_with_their_objects() {
    let app =
        crate::helpers::spawn_app_with(crate::helpers::shared(), |c| c.pending_sweep_secs = 1)
            .await;
    let (alice, _) = app.user("alice").await;
    let client = app.pool.get().await.expect("db");
    // One announced an hour ago and PUT but never completed, one announced just now.
    let (stale, fresh) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    for (id, expires) in [
        (stale, "now() - interval '1 hour'"),
        (fresh, "now() + interval '5 minutes'"),
    ] {
        client
            .execute(
                &format!(
                    "insert into pending_uploads (id, owner_id, kind, mime, size, object_key, expires_at)
                     values ($1, $2, 'image', 'image/png', 10, $3, {expires})"
                ),
                &[&id, &alice, &format!("pending/{id}")],
            )
            .await
            .expect("pending row");
        app.storage
            .put(
                &format!("pending/{id}"),
                samples::png(4, 4).into(),
                "image/png",
            )
            .await
            .expect("pending object");
    }

    // Poll (the sweeper runs every second) until the stale row is gone, at most 15 s; the sweeper
    // deletes the objects before it commits the rows' deletion.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let left = loop {
        let left: Vec<uuid::Uuid> = client
            .query("select id from pending_uploads", &[])
            .await
            .expect("rows")
            .iter()
            .map(|r| r.get(0))
            .collect();
        if !left.contains(&stale) {
            break left;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the stale upload was never swept"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(left, vec![fresh], "only the stale row went");
    assert!(
        !app.storage
            .exists(&format!("pending/{stale}"))
            .await
            .expect("head"),
        "the stale object went with its row"
    );
    assert!(
        app.storage
            .exists(&format!("pending/{fresh}"))
            .await
            .expect("head"),
        "a pending upload still in time keeps its object"
    );
}

/// Presigns, PUTs and completes `bytes`; the completion's status and JSON. Checks that the pending
/// object is gone afterwards.
async fn direct_upload(
    app: &crate::helpers::TestApp,
    token: &str,
    kind: &str,
    mime: &str,
    bytes: Vec<u8>,
) -> (u16, serde_json::Value) {
    let request = json!({"kind": kind, "mime": mime, "size": bytes.len()});
    let (status, presigned) = app.post("/api/v1/media/uploads", token, &request).await;
    assert_eq!(status, 201, "{mime}: {presigned}");
    let url = presigned["put_url"].as_str().expect("url");
    assert_eq!(put(url, &presigned["headers"], bytes).await, 200, "{mime}");
    let id = presigned["id"].as_str().expect("id");
    let answer = app
        .post(
            &format!("/api/v1/media/uploads/{id}/complete"),
            token,
            &json!({}),
        )
        .await;
    let pending_left = app.storage.exists(&format!("pending/{id}")).await;
    assert!(
        !pending_left.expect("head"),
        "{mime}: the pending object is deleted"
    );
    answer
}

#[tokio::test]
async fn every_format_goes_through_the_direct_flow_too() {
    let app = spawn_app().await;
    let (_, token) = app.user("alice").await;
    for (bytes, mime, size) in [
        (samples::png(300, 200), "image/png", (300, 200)),
        (samples::webp(), "image/webp", (640, 480)),
        (samples::animated_gif(), "image/gif", (64, 48)),
    ] {
        let (status, info) = direct_upload(&app, &token, "image", mime, bytes).await;
        assert_eq!(status, 201, "{mime}: {info}");
        assert_eq!(info["mime"], mime);
        assert_eq!(
            (info["width"].as_u64(), info["height"].as_u64()),
            (Some(size.0), Some(size.1)),
            "{mime}"
        );
        assert!(info["thumb_url"].is_string(), "{mime}");
    }
    for (name, mime, stored) in [
        ("direct.webm", "audio/webm", "audio/webm"),
        ("live-direct.webm", "audio/webm", "audio/webm"),
        ("direct.ogg", "audio/ogg", "audio/ogg"),
        ("direct.m4a", "audio/mp4", "audio/mp4"),
        ("direct.mp4", "audio/mp4", "audio/mp4"),
    ] {
        let clip = samples::voice(name, 2.5);
        let expected = samples::ffprobe_ms(name, &clip);
        let (status, info) = direct_upload(&app, &token, "voice", mime, clip).await;
        assert_eq!(status, 201, "{name}: {info}");
        assert_eq!(
            (info["kind"].as_str(), info["mime"].as_str()),
            (Some("voice"), Some(stored))
        );
        let measured = info["duration_ms"].as_f64().expect("duration");
        assert!(
            (measured - expected).abs() <= 50.0,
            "{name}: measured {measured} ms, ffprobe {expected} ms"
        );
        assert_eq!(
            info["waveform"].as_array().map(Vec::len),
            Some(48),
            "{name}"
        );
    }
    let client = app.pool.get().await.expect("db");
    let pending: i64 = client
        .query_one("select count(*) from pending_uploads", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(pending, 0, "every completed upload left pending_uploads");
}
