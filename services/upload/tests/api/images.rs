//! Images through the service: verified, stripped, turned upright, thumbnailed, deduplicated.

use std::io::Cursor;

use image::{GenericImageView, ImageReader};
use sha2::Digest;

use crate::{helpers::spawn_app, samples};

#[tokio::test]
async fn a_photo_loses_its_metadata_and_stands_upright() {
    let app = spawn_app().await;
    let (_, token) = app.user("alice").await;
    let original = samples::jpeg_with_exif();
    assert!(
        original.windows(4).any(|w| w == b"Exif"),
        "the sample carries EXIF"
    );
    let (status, info) = app.upload(&token, original, "image/jpeg").await;
    assert_eq!(status, 201, "{info}");
    assert_eq!(info["kind"], "image");
    assert_eq!(info["mime"], "image/jpeg");
    // Orientation 6 turns the 400×200 landscape into a 200×400 portrait.
    assert_eq!(
        (info["width"].as_u64(), info["height"].as_u64()),
        (Some(200), Some(400))
    );

    let (status, stored) = app
        .fetch_media(info["url"].as_str().expect("url"), &token)
        .await;
    assert_eq!(status, 302);
    let stored = stored.expect("bytes");
    assert!(
        !stored.windows(4).any(|w| w == b"Exif"),
        "EXIF (and GPS with it) is gone"
    );
    let picture = ImageReader::new(Cursor::new(&stored))
        .with_guessed_format()
        .expect("format")
        .decode()
        .expect("decodes");
    assert_eq!(picture.dimensions(), (200, 400));
    // The left (red) half of the original is now the top.
    let top = picture.get_pixel(100, 50);
    let bottom = picture.get_pixel(100, 350);
    assert!(top[0] > 150 && top[2] < 100, "top is red: {top:?}");
    assert!(
        bottom[2] > 150 && bottom[0] < 100,
        "bottom is blue: {bottom:?}"
    );

    // Objects are named by the hash of the stored bytes, never by anything the client sent.
    let sha = hex::encode(sha2::Sha256::digest(&stored));
    let client = app.pool.get().await.expect("db");
    let keys = client
        .query_one("select object_key, thumb_key from media", &[])
        .await
        .expect("row");
    assert_eq!(keys.get::<_, String>(0), format!("media/{sha}"));
    assert_eq!(keys.get::<_, String>(1), format!("thumbs/{sha}.jpg"));

    let (status, thumb) = app
        .fetch_media(info["thumb_url"].as_str().expect("thumb"), &token)
        .await;
    assert_eq!(status, 302);
    let thumb = image::load_from_memory(&thumb.expect("thumb bytes")).expect("thumb decodes");
    assert_eq!(thumb.dimensions(), (160, 320), "longest side 320");
}

#[tokio::test]
async fn every_image_format_is_accepted_and_the_same_bytes_are_stored_once() {
    let app = spawn_app().await;
    let (_, token) = app.user("alice").await;
    for (bytes, mime, size) in [
        (samples::png(800, 600), "image/png", (800, 600)),
        (samples::webp(), "image/webp", (640, 480)),
        (samples::animated_gif(), "image/gif", (64, 48)),
    ] {
        let (status, info) = app.upload(&token, bytes.clone(), mime).await;
        assert_eq!(status, 201, "{mime}: {info}");
        assert_eq!(info["mime"], mime);
        assert_eq!(
            (info["width"].as_u64(), info["height"].as_u64()),
            (Some(size.0), Some(size.1))
        );
        let (_, again) = app.upload(&token, bytes, mime).await;
        assert_eq!(
            again["id"], info["id"],
            "{mime} uploaded twice is one media"
        );
    }
    let (_, gif) = app
        .upload(&token, samples::animated_gif(), "image/gif")
        .await;
    let (_, stored) = app
        .fetch_media(gif["url"].as_str().expect("url"), &token)
        .await;
    let frames = image::codecs::gif::GifDecoder::new(Cursor::new(stored.expect("gif")))
        .map(|d| image::AnimationDecoder::into_frames(d).count())
        .expect("gif decodes");
    assert_eq!(frames, 3, "the animation is kept");
    let client = app.pool.get().await.expect("db");
    let rows: i64 = client
        .query_one("select count(*) from media", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(rows, 3);
}

#[tokio::test]
async fn hostile_images_are_refused_with_the_right_status() {
    let app = spawn_app().await;
    let (_, token) = app.user("mallory").await;
    let jpeg = samples::jpeg_with_exif();
    let truncated = jpeg[..jpeg.len() / 2].to_vec();
    let cases: Vec<(&str, Vec<u8>, &str, u16)> = vec![
        (
            "declared jpeg, bytes png",
            samples::png(10, 10),
            "image/jpeg",
            415,
        ),
        (
            "html pretending to be an image",
            b"<html><script>alert(1)</script></html>".to_vec(),
            "image/png",
            415,
        ),
        (
            "decompression bomb header",
            samples::png_claiming(100_000, 100_000),
            "image/png",
            422,
        ),
        ("truncated jpeg", truncated, "image/jpeg", 422),
        ("zero bytes", Vec::new(), "image/png", 422),
    ];
    for (name, bytes, mime, expected) in cases {
        let (status, body) = app.upload(&token, bytes, mime).await;
        assert_eq!(status, expected, "{name}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{name}: {body}"
        );
    }
    let client = app.pool.get().await.expect("db");
    let rows: i64 = client
        .query_one("select count(*) from media", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(rows, 0, "nothing refused was recorded");
}

#[tokio::test]
async fn a_polyglot_is_stored_without_its_payload() {
    let app = spawn_app().await;
    let (_, token) = app.user("mallory").await;
    let mut polyglot = samples::png(32, 32);
    polyglot.extend_from_slice(b"<script>alert('stored xss')</script>");
    let (status, info) = app.upload(&token, polyglot, "image/png").await;
    assert_eq!(status, 201, "{info}");
    let (_, stored) = app
        .fetch_media(info["url"].as_str().expect("url"), &token)
        .await;
    let stored = stored.expect("bytes");
    assert!(
        !stored.windows(8).any(|w| w == b"<script>"),
        "only the pixels were kept"
    );
}

#[tokio::test]
async fn oversize_bodies_and_missing_tokens_are_refused() {
    let app = crate::helpers::spawn_app_with(crate::helpers::shared(), |c| {
        c.media.image_max_bytes = 100_000
    })
    .await;
    let (_, token) = app.user("alice").await;
    let big = samples::noisy_png(300, 300);
    assert!(big.len() > 100_000);
    let (status, body) = app.upload(&token, big, "image/png").await;
    assert_eq!(status, 413, "{body}");
    let response = app
        .http
        .post(format!("{}/api/v1/media", app.base_url))
        .body(samples::png(10, 10))
        .header("content-type", "image/png")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 401);
    let (status, body) = crate::helpers::json_answer(
        app.http
            .post(format!("{}/api/v1/media", app.base_url))
            .bearer_auth(&token)
            .header("content-type", "image/png")
            .body(samples::png(10, 10))
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(
        status, 201,
        "a raw body with its content type works too: {body}"
    );
}
