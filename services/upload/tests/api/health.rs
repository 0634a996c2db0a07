//! The operational routes: liveness, readiness, metrics, and the published limits.

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_readiness_metrics_and_limits_answer() {
    let app = spawn_app().await;
    let get = |path: &str| app.http.get(format!("{}{path}", app.base_url)).send();
    assert_eq!(get("/healthz").await.expect("sent").status(), 200);
    assert_eq!(
        get("/readyz").await.expect("sent").status(),
        200,
        "database and bucket answer"
    );

    let (_, token) = app.user("alice").await;
    let (status, _) = app
        .upload(&token, crate::samples::png(16, 16), "image/png")
        .await;
    assert_eq!(status, 201);
    let (status, _) = app
        .upload(&token, b"GIF89a not really".to_vec(), "image/gif")
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        get("/metrics").await.expect("sent").status(),
        404,
        "metrics are not on the public address"
    );
    let metrics = app
        .http
        .get(&app.metrics_url)
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("natter_uploads_total"),
        "uploads are counted: {metrics}"
    );
    assert!(
        metrics.contains(r#"natter_upload_errors_total{code="unprocessable"}"#),
        "refusals are counted by code: {metrics}"
    );
    assert!(
        metrics.contains(r#"natter_upload_process_seconds_bucket{le="0.5"}"#),
        "processing time is a histogram with buckets: {metrics}"
    );

    let limits: serde_json::Value = get("/api/v1/config")
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(limits["image_max_bytes"], 10 * 1024 * 1024);
    assert_eq!(limits["thumb_max_side"], 320);
    assert!(
        limits["voice_types"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t == "audio/webm"))
    );
}

#[tokio::test]
async fn the_service_refuses_an_unset_development_or_short_secret() {
    use natter_common::settings::{DEV_TOKEN_SECRET, SecretArgs};
    for (secrets, expected) in [
        (
            SecretArgs {
                token_secret: None,
                dev_login: false,
            },
            "not set",
        ),
        (
            SecretArgs::with_secret(DEV_TOKEN_SECRET),
            "development secret",
        ),
        (SecretArgs::with_secret("short"), "at least 32"),
    ] {
        let mut config = <natter_upload::Config as clap::Parser>::parse_from(["natter-upload"]);
        config.secrets = secrets;
        let refused = natter_upload::Application::build(config).await.err();
        let message = refused.map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains(expected), "{expected}: {message}");
    }
}

#[tokio::test]
async fn responses_carry_security_headers_and_media_is_never_html() {
    let app = spawn_app().await;
    let (_, token) = app.user("alice").await;
    let (status, info) = app
        .upload(&token, crate::samples::png(16, 16), "image/png")
        .await;
    assert_eq!(status, 201, "{info}");
    let url = info["url"].as_str().expect("url");
    let redirect = app
        .http
        .get(format!("{}{url}?token={token}", app.base_url))
        .send()
        .await
        .expect("sent");
    assert_eq!(redirect.status(), 302);
    let headers = redirect.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let csp = headers["content-security-policy"].to_str().expect("csp");
    assert!(
        csp.contains("default-src 'none'") && csp.contains("sandbox"),
        "{csp}"
    );
    let object = reqwest::get(headers["location"].to_str().expect("location"))
        .await
        .expect("presigned GET");
    assert_eq!(
        object.headers()["content-type"],
        "image/png",
        "the stored type, not HTML"
    );
    let refused = app
        .http
        .get(format!("{}/api/v1/config", app.base_url))
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.headers()["referrer-policy"], "no-referrer");
    // The JSON API takes the Bearer header only; `?token=` is for media URLs.
    let upload_with_query = app
        .http
        .post(format!(
            "{}/api/v1/media/uploads?token={token}",
            app.base_url
        ))
        .json(&serde_json::json!({"kind": "image", "mime": "image/png", "size": 10}))
        .send()
        .await
        .expect("sent");
    assert_eq!(upload_with_query.status(), 401);
}

#[tokio::test]
async fn a_half_sent_request_is_closed_after_the_header_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = crate::helpers::spawn_app_with(crate::helpers::shared(), |c| {
        c.http.header_timeout_secs = 1;
    })
    .await;
    let addr = app.base_url.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"POST /api/v1/media HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("written");
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut rest),
    )
    .await;
    assert!(closed.is_ok(), "the slow connection stayed open");
}
