//! `natter-upload-bench`: measures a running upload service.
//!
//! Reports (as JSON): p50/p99 of a 2 MP JPEG upload (verify + strip + thumbnail + put) and of a
//! 30 s voice clip, uploads per second with 16 concurrent clients, and the service's peak RSS while
//! 50 clients upload ~10 MiB images at once. The user is seeded in the database and the token
//! minted with `TOKEN_SECRET`; the voice clip is made with ffmpeg.

use std::{
    io::Cursor,
    sync::Arc,
    time::{Duration, Instant},
};

use clap::Parser;
use hdrhistogram::Histogram;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use natter_common::TokenKeys;
use serde_json::json;

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:8089")]
    url: String,
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/natter"
    )]
    database_url: String,
    #[arg(
        long,
        env = "TOKEN_SECRET",
        default_value = "natter-dev-secret-change-me"
    )]
    token_secret: String,
    /// Pid of the upload service, for its RSS.
    #[arg(long)]
    pid: Option<u32>,
    /// Sequential uploads per latency measurement.
    #[arg(long, default_value_t = 40)]
    samples: usize,
    /// Seconds of the 16-client throughput run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let token = seed_user(&args).await?;
    let http = reqwest::Client::new();
    let photo = Arc::new(photo_2mp());
    let voice = Arc::new(voice_30s()?);
    let jpeg = latency(&http, &args, &token, &photo, "image/jpeg").await?;
    let clip = latency(&http, &args, &token, &voice, "audio/ogg").await?;
    let per_sec = throughput(&http, &args, &token, photo.clone(), 16).await?;
    let peak = peak_rss(&http, &args, &token, 50).await?;
    let report = json!({
        "jpeg_2mp_bytes": photo.len(),
        "jpeg_2mp_p50_ms": jpeg.0, "jpeg_2mp_p99_ms": jpeg.1,
        "voice_30s_bytes": voice.len(),
        "voice_30s_p50_ms": clip.0, "voice_30s_p99_ms": clip.1,
        "uploads_per_sec_16_clients": per_sec,
        "peak_rss_mib_50_x_10mib": peak,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

async fn seed_user(args: &Args) -> anyhow::Result<String> {
    let pool = natter_db::connect(&args.database_url, 1).await?;
    let client = pool.get().await?;
    let name = format!("bench_{}", std::process::id());
    let id: i64 = client
        .query_one(
            "insert into users (username, nickname, password_hash) values ($1, $1, '!') returning id",
            &[&name],
        )
        .await?
        .get(0);
    Ok(TokenKeys::new(args.token_secret.as_bytes(), Duration::from_secs(3600)).issue(id, &name))
}

/// A 1920×1080 photo-like JPEG: smooth gradients plus sensor-like noise, so it weighs what a
/// camera's 2 MP JPEG does (several hundred KB) rather than a few KB of flat colour.
fn photo_2mp() -> Vec<u8> {
    let mut seed = 0x2545_f491_u32;
    let picture = RgbImage::from_fn(1920, 1080, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let [a, b, c, _] = seed.to_le_bytes().map(|n| n / 6);
        Rgb([
            (x / 8) as u8 / 2 + a,
            (y / 5) as u8 / 2 + b,
            ((x + y) / 12) as u8 / 2 + c,
        ])
    });
    encode(DynamicImage::ImageRgb8(picture), ImageFormat::Jpeg)
}

/// A noise PNG just under 10 MiB (noise does not compress).
fn noise_png_10mib() -> Vec<u8> {
    let mut seed = 0x9e37_79b9_u32;
    let picture = RgbaImage::from_fn(1600, 1600, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        Rgba(seed.to_le_bytes())
    });
    encode(DynamicImage::ImageRgba8(picture), ImageFormat::Png)
}

fn encode(picture: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    picture
        .write_to(&mut Cursor::new(&mut out), format)
        .expect("encode");
    out
}

fn voice_30s() -> anyhow::Result<Vec<u8>> {
    let path = std::env::temp_dir().join(format!("natter-bench-{}.ogg", std::process::id()));
    let status = std::process::Command::new("ffmpeg")
        .args([
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=220:duration=30",
        ])
        .args(["-ac", "1", "-c:a", "libopus", "-b:a", "32k"])
        .arg(&path)
        .status()?;
    anyhow::ensure!(status.success(), "ffmpeg failed");
    Ok(std::fs::read(path)?)
}

async fn upload(
    http: &reqwest::Client,
    args: &Args,
    token: &str,
    body: Vec<u8>,
    mime: &str,
) -> anyhow::Result<()> {
    let response = http
        .post(format!("{}/api/v1/media", args.url))
        .bearer_auth(token)
        .header("content-type", mime)
        .body(body)
        .send()
        .await?;
    anyhow::ensure!(
        response.status() == 201,
        "upload answered {}",
        response.status()
    );
    Ok(())
}

/// p50 and p99 in milliseconds of sequential uploads of `body`.
async fn latency(
    http: &reqwest::Client,
    args: &Args,
    token: &str,
    body: &[u8],
    mime: &str,
) -> anyhow::Result<(f64, f64)> {
    let mut histogram = Histogram::<u64>::new(3)?;
    for _ in 0..args.samples {
        let started = Instant::now();
        upload(http, args, token, body.to_vec(), mime).await?;
        histogram.record(started.elapsed().as_micros() as u64)?;
    }
    Ok((
        histogram.value_at_quantile(0.5) as f64 / 1000.0,
        histogram.value_at_quantile(0.99) as f64 / 1000.0,
    ))
}

/// Uploads per second with `clients` uploading back to back for `args.seconds`.
async fn throughput(
    http: &reqwest::Client,
    args: &Args,
    token: &str,
    body: Arc<Vec<u8>>,
    clients: usize,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, body, token, url) = (
            http.clone(),
            body.clone(),
            token.to_owned(),
            args.url.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut done = 0u64;
            while Instant::now() < deadline {
                let ok = http
                    .post(format!("{url}/api/v1/media"))
                    .bearer_auth(&token)
                    .header("content-type", "image/jpeg")
                    .body(body.to_vec())
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 201);
                done += u64::from(ok);
            }
            done
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await?;
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

/// Peak RSS (MiB) of the service while `clients` upload ~10 MiB images at once.
async fn peak_rss(
    http: &reqwest::Client,
    args: &Args,
    token: &str,
    clients: usize,
) -> anyhow::Result<Option<f64>> {
    let big = Arc::new(noise_png_10mib());
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, big, token, url) = (
            http.clone(),
            big.clone(),
            token.to_owned(),
            args.url.clone(),
        );
        tasks.push(tokio::spawn(async move {
            http.post(format!("{url}/api/v1/media"))
                .bearer_auth(&token)
                .header("content-type", "image/png")
                .body(big.to_vec())
                .send()
                .await
                .map(|r| r.status().as_u16())
        }));
    }
    let mut peak = 0;
    while tasks.iter().any(|t| !t.is_finished()) {
        if let Some(pid) = args.pid {
            peak = peak.max(rss_kib(pid).unwrap_or(0));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for task in tasks {
        let status = task.await??;
        anyhow::ensure!(status == 201, "a 10 MiB upload answered {status}");
    }
    Ok(args.pid.map(|_| peak as f64 / 1024.0))
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
