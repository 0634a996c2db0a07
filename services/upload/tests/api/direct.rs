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
        .query_one("select count(*) from media", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(rows, 0);
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
