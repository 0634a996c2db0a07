//! Images: dimensions checked before decoding, orientation applied, every piece of metadata
//! (EXIF incl. GPS, XMP, comments) dropped by re-encoding the pixels, and a thumbnail made.

use std::io::Cursor;

use bytes::Bytes;
use image::{
    AnimationDecoder, DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits,
    codecs::{
        gif::{GifDecoder, GifEncoder, Repeat},
        jpeg::JpegEncoder,
        webp::WebPEncoder,
    },
};
use natter_protocol::{MediaKind, MediaLimits};

use super::{Processed, Sniffed};
use crate::error::UploadError;

/// JPEG quality of re-encoded photos and thumbnails.
const JPEG_QUALITY: u8 = 85;
/// Most frames an animated GIF may have.
const MAX_GIF_FRAMES: usize = 300;

pub fn process(
    bytes: &[u8],
    sniffed: Sniffed,
    limits: &MediaLimits,
) -> Result<Processed, UploadError> {
    let format = ImageFormat::from_mime_type(sniffed.mime)
        .ok_or_else(|| UploadError::UnsupportedType(sniffed.mime.into()))?;
    if format == ImageFormat::Jpeg && !ends_with_eoi(bytes) {
        return Err(UploadError::Unprocessable("the JPEG is truncated".into()));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(decoder_limits(limits));
    let mut decoder = reader.into_decoder().map_err(undecodable)?;
    let (width, height) = decoder.dimensions();
    check_dimensions(width, height, limits)?;
    let orientation = decoder.orientation().map_err(undecodable)?;
    let mut picture = DynamicImage::from_decoder(decoder).map_err(undecodable)?;
    picture.apply_orientation(orientation);
    let body = if format == ImageFormat::Gif {
        reencode_gif(bytes, &picture, limits)?
    } else {
        encode(&picture, format)?
    };
    let thumb = thumbnail(&picture, limits.thumb_max_side)?;
    Ok(Processed {
        kind: MediaKind::Image,
        mime: sniffed.mime,
        body: Bytes::from(body),
        width: Some(picture.width()),
        height: Some(picture.height()),
        duration_ms: None,
        waveform: None,
        thumb: Some(thumb),
    })
}

/// Limits the decoders enforce themselves, so a decompression bomb is refused before allocating.
fn decoder_limits(limits: &MediaLimits) -> Limits {
    let mut decoder_limits = Limits::default();
    decoder_limits.max_image_width = Some(limits.image_max_side);
    decoder_limits.max_image_height = Some(limits.image_max_side);
    decoder_limits.max_alloc = Some(limits.image_max_pixels.saturating_mul(8));
    decoder_limits
}

fn check_dimensions(width: u32, height: u32, limits: &MediaLimits) -> Result<(), UploadError> {
    let pixels = u64::from(width) * u64::from(height);
    if width == 0 || height == 0 {
        return Err(UploadError::Unprocessable("the image has no pixels".into()));
    }
    if width.max(height) > limits.image_max_side || pixels > limits.image_max_pixels {
        return Err(UploadError::Unprocessable(format!(
            "the image is {width}×{height}; at most {} pixels and {} per side are accepted",
            limits.image_max_pixels, limits.image_max_side
        )));
    }
    Ok(())
}

/// A JPEG ends with its EOI marker (trailing zero padding aside); a truncated one does not.
fn ends_with_eoi(bytes: &[u8]) -> bool {
    let end = bytes.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
    bytes[..end].ends_with(&[0xFF, 0xD9])
}

/// Encodes the pixels alone, in the uploaded format: nothing of the original file is carried over.
fn encode(picture: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>, UploadError> {
    let mut out = Vec::new();
    match format {
        ImageFormat::Jpeg => {
            let rgb = picture.to_rgb8();
            JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY).encode_image(&rgb)
        }
        ImageFormat::WebP => WebPEncoder::new_lossless(&mut out).encode(
            picture.to_rgba8().as_raw(),
            picture.width(),
            picture.height(),
            image::ExtendedColorType::Rgba8,
        ),
        other => picture.write_to(&mut Cursor::new(&mut out), other),
    }
    .map_err(|e| UploadError::Internal(e.into()))?;
    Ok(out)
}

/// Re-encodes a GIF frame by frame, so animations stay animated and comments and extensions go.
fn reencode_gif(
    bytes: &[u8],
    first: &DynamicImage,
    limits: &MediaLimits,
) -> Result<Vec<u8>, UploadError> {
    let mut decoder = GifDecoder::new(Cursor::new(bytes)).map_err(undecodable)?;
    decoder
        .set_limits(decoder_limits(limits))
        .map_err(undecodable)?;
    let frames = decoder
        .into_frames()
        .take(MAX_GIF_FRAMES + 1)
        .collect::<Result<Vec<_>, _>>()
        .map_err(undecodable)?;
    if frames.len() > MAX_GIF_FRAMES {
        return Err(UploadError::Unprocessable(format!(
            "animations may have at most {MAX_GIF_FRAMES} frames"
        )));
    }
    if frames.len() <= 1 {
        return encode(first, ImageFormat::Gif);
    }
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut out);
        encoder
            .set_repeat(Repeat::Infinite)
            .map_err(|e| UploadError::Internal(e.into()))?;
        encoder
            .encode_frames(frames)
            .map_err(|e| UploadError::Internal(e.into()))?;
    }
    Ok(out)
}

/// A thumbnail whose longest side is at most `side`: JPEG, or PNG when the picture has transparency.
fn thumbnail(picture: &DynamicImage, side: u32) -> Result<(Bytes, &'static str), UploadError> {
    let small = picture.thumbnail(side, side);
    let (format, mime) = if small.color().has_alpha() {
        (ImageFormat::Png, "image/png")
    } else {
        (ImageFormat::Jpeg, "image/jpeg")
    };
    Ok((Bytes::from(encode(&small, format)?), mime))
}

fn undecodable(e: ImageError) -> UploadError {
    match e {
        ImageError::Limits(_) => {
            UploadError::Unprocessable("the image is too large to decode".into())
        }
        other => UploadError::Unprocessable(format!("the image could not be decoded: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_jpeg_has_no_end_marker() {
        assert!(ends_with_eoi(&[0xFF, 0xD8, 1, 2, 0xFF, 0xD9, 0, 0]));
        assert!(!ends_with_eoi(&[0xFF, 0xD8, 1, 2, 3]));
    }

    #[test]
    fn huge_claimed_dimensions_are_refused_before_decoding() {
        let limits = MediaLimits::default();
        assert!(check_dimensions(100_000, 100_000, &limits).is_err());
        assert!(check_dimensions(4000, 3000, &limits).is_ok());
    }
}
