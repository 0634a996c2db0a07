//! Voice clips: the duration is measured from the stream, a waveform is computed, bad clips refused.

use crate::{helpers::spawn_app, samples};

#[tokio::test]
async fn clips_of_every_browser_format_are_measured_like_ffprobe() {
    let app = spawn_app().await;
    let (_, token) = app.user("alice").await;
    for (name, mime) in [
        ("clip.webm", "audio/webm;codecs=opus"),
        ("live.webm", "audio/webm;codecs=opus"),
        ("clip.ogg", "audio/ogg"),
        ("clip.m4a", "audio/mp4"),
        ("clip.mp4", "audio/mp4;codecs=opus"),
    ] {
        let clip = samples::voice(name, 4.0);
        let expected = samples::ffprobe_ms(name, &clip);
        let (status, info) = app.upload(&token, clip, mime).await;
        assert_eq!(status, 201, "{name}: {info}");
        assert_eq!(info["kind"], "voice");
        let measured = info["duration_ms"].as_f64().expect("duration");
        assert!(
            (measured - expected).abs() <= 50.0,
            "{name}: measured {measured} ms, ffprobe {expected} ms"
        );
        let bars: Vec<u64> = info["waveform"]
            .as_array()
            .expect("waveform")
            .iter()
            .filter_map(|b| b.as_u64())
            .collect();
        assert_eq!(bars.len(), 48, "{name}");
        assert_eq!(
            bars.iter().max(),
            Some(&255),
            "{name}: scaled to the loudest bar"
        );
        // The sample's volume rises over time: the end is louder than the start.
        let (start, end) = (
            bars[2..8].iter().sum::<u64>(),
            bars[40..46].iter().sum::<u64>(),
        );
        assert!(
            end > start,
            "{name}: waveform follows the loudness: {bars:?}"
        );
    }
}

#[tokio::test]
async fn truncated_short_and_mislabelled_clips_are_refused() {
    let app = spawn_app().await;
    let (_, token) = app.user("alice").await;
    let ogg = samples::voice("cut.ogg", 3.0);
    let (status, body) = app
        .upload(&token, ogg[..ogg.len() * 2 / 3].to_vec(), "audio/ogg")
        .await;
    assert_eq!(status, 422, "truncated: {body}");
    let webm = samples::voice("live-cut.webm", 3.0);
    let (status, body) = app
        .upload(&token, webm[..webm.len() * 2 / 3].to_vec(), "audio/webm")
        .await;
    assert_eq!(status, 422, "truncated webm: {body}");
    let m4a = samples::voice("cut.m4a", 3.0);
    let (status, body) = app
        .upload(&token, m4a[..m4a.len() / 2].to_vec(), "audio/mp4")
        .await;
    assert_eq!(status, 422, "truncated mp4: {body}");
    let short = samples::voice("short.ogg", 0.4);
    let (status, body) = app.upload(&token, short, "audio/ogg").await;
    assert_eq!(status, 422, "too short: {body}");
    let webm = samples::voice("label.webm", 2.0);
    let (status, body) = app.upload(&token, webm, "image/png").await;
    assert_eq!(status, 415, "declared an image: {body}");
}

#[tokio::test]
async fn clips_over_the_duration_or_size_limit_are_refused() {
    let app = crate::helpers::spawn_app_with(crate::helpers::shared(), |c| {
        c.media.voice_max_ms = 2_000;
        c.media.voice_max_bytes = 60_000;
    })
    .await;
    let (_, token) = app.user("alice").await;
    let long = samples::voice("long.ogg", 3.0);
    assert!(long.len() <= 60_000, "the clip fits the byte limit");
    let (status, body) = app.upload(&token, long, "audio/ogg").await;
    assert_eq!(status, 422, "longer than 2 s: {body}");
    let (status, body) = app
        .upload(&token, samples::voice("big.webm", 8.0), "audio/webm")
        .await;
    assert_eq!(status, 413, "more than 60 000 bytes: {body}");
}
