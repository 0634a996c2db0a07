//! Real sample files, made at test time: images with the image crate (plus a hand-built EXIF block),
//! voice clips with ffmpeg (as browsers record them: WebM/Opus, Ogg/Opus, MP4/AAC).

use std::{io::Cursor, path::PathBuf, process::Command};

use image::{
    Delay, DynamicImage, Frame, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage,
    codecs::gif::GifEncoder,
};

/// A 400×200 photo, left half red, right half blue, with an EXIF block saying "rotate 90° clockwise"
/// (orientation 6) and a GPS latitude.
pub fn jpeg_with_exif() -> Vec<u8> {
    let photo = RgbImage::from_fn(400, 200, |x, _| {
        if x < 200 {
            Rgb([230, 20, 20])
        } else {
            Rgb([20, 20, 230])
        }
    });
    let plain = encode(&DynamicImage::ImageRgb8(photo), ImageFormat::Jpeg);
    let mut with_exif = plain[..2].to_vec();
    with_exif.extend_from_slice(&exif_app1());
    with_exif.extend_from_slice(&plain[2..]);
    with_exif
}

/// APP1 "Exif": IFD0 with Orientation = 6 and a pointer to a GPS IFD holding GPSLatitudeRef = "N".
fn exif_app1() -> Vec<u8> {
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    // IFD0 at 8: two entries, then the next-IFD offset.
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&entry(0x0112, 3, 1, 6));
    tiff.extend_from_slice(&entry(0x8825, 4, 1, 38));
    tiff.extend_from_slice(&0u32.to_le_bytes());
    // GPS IFD at 38: GPSLatitudeRef "N\0".
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&entry(0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0")));
    tiff.extend_from_slice(&0u32.to_le_bytes());
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    app1
}

fn entry(tag: u16, kind: u16, count: u32, value: u32) -> [u8; 12] {
    let mut e = [0u8; 12];
    e[..2].copy_from_slice(&tag.to_le_bytes());
    e[2..4].copy_from_slice(&kind.to_le_bytes());
    e[4..8].copy_from_slice(&count.to_le_bytes());
    e[8..].copy_from_slice(&value.to_le_bytes());
    e
}

pub fn png(width: u32, height: u32) -> Vec<u8> {
    let picture = RgbaImage::from_fn(width, height, |x, y| {
        Rgba([(x % 256) as u8, (y % 256) as u8, 90, 255])
    });
    encode(&DynamicImage::ImageRgba8(picture), ImageFormat::Png)
}

/// A PNG of noise, which does not compress: about `4 × width × height` bytes.
pub fn noisy_png(width: u32, height: u32) -> Vec<u8> {
    let mut seed = 0x2545_f491_u32;
    let picture = RgbaImage::from_fn(width, height, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        Rgba(seed.to_le_bytes())
    });
    encode(&DynamicImage::ImageRgba8(picture), ImageFormat::Png)
}

pub fn webp() -> Vec<u8> {
    let picture = RgbaImage::from_fn(640, 480, |x, _| Rgba([(x % 256) as u8, 120, 40, 255]));
    encode(&DynamicImage::ImageRgba8(picture), ImageFormat::WebP)
}

/// A three-frame animated GIF.
pub fn animated_gif() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut out);
        let frames = [[255, 0, 0], [0, 255, 0], [0, 0, 255]].map(|[r, g, b]| {
            Frame::from_parts(
                RgbaImage::from_pixel(64, 48, Rgba([r, g, b, 255])),
                0,
                0,
                Delay::from_numer_denom_ms(100, 1),
            )
        });
        encoder.encode_frames(frames).expect("gif");
    }
    out
}

/// A valid PNG header whose IHDR claims `width`×`height` (CRC fixed), and nothing decodable behind it.
pub fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = png(1, 1);
    bytes[16..20].copy_from_slice(&width.to_be_bytes());
    bytes[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32fast::hash(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

fn encode(picture: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    picture
        .write_to(&mut Cursor::new(&mut out), format)
        .expect("encode sample");
    out
}

/// A voice clip of `seconds` made by ffmpeg: a tone with a rising volume, in the container the
/// name's extension says (`.m4a` holds AAC, every other container Opus). A name starting with
/// `live` is written as a live stream, like MediaRecorder's WebM: no duration, no cues, clusters
/// of unknown size.
pub fn voice(name: &str, seconds: f64) -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!("natter-samples-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("sample dir");
    let path = dir.join(name);
    let codec = if name.ends_with(".m4a") {
        "aac"
    } else {
        "libopus"
    };
    let mut ffmpeg = Command::new("ffmpeg");
    ffmpeg
        .args(["-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("sine=frequency=330:duration={seconds}"))
        .args(["-af", "volume='t/3':eval=frame", "-ac", "1", "-c:a", codec]);
    if name.starts_with("live") {
        ffmpeg.args(["-live", "1"]);
    }
    let status = ffmpeg
        .arg(&path)
        .status()
        .expect("ffmpeg is installed (apt-get install ffmpeg)");
    assert!(status.success(), "ffmpeg made {name}");
    std::fs::read(&path).expect("sample")
}

/// What ffprobe says the duration of `bytes` is, in milliseconds: the container's duration, or
/// for live WebM (whose header has none, as MediaRecorder writes it) the end of the last packet.
pub fn ffprobe_ms(name: &str, bytes: &[u8]) -> f64 {
    let path: PathBuf =
        std::env::temp_dir().join(format!("natter-probe-{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).expect("probe file");
    let probe = |entries: &str| {
        let output = Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-select_streams",
                "a:0",
                "-show_entries",
                entries,
            ])
            .args(["-of", "csv=p=0"])
            .arg(&path)
            .output()
            .expect("ffprobe is installed");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    if let Ok(seconds) = probe("format=duration").trim().parse::<f64>() {
        return seconds * 1000.0;
    }
    let end = probe("packet=pts_time,duration_time")
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(',');
            let pts = fields.next()?.parse::<f64>().ok()?;
            Some(pts + fields.next()?.parse::<f64>().ok()?)
        })
        .fold(f64::NAN, f64::max);
    assert!(end.is_finite(), "ffprobe lists the packets of {name}");
    end * 1000.0
}
