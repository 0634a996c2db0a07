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
