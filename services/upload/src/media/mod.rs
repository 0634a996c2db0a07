//! Verification and processing of an upload: what the bytes are (never what the client says),
//! whether they decode within the limits, and what is stored.

mod image;
mod sniff;
mod voice;

use bytes::Bytes;
use natter_protocol::{MediaKind, MediaLimits};

pub use sniff::{Sniffed, sniff};

use crate::error::UploadError;

/// An upload that passed verification, ready to store.
#[derive(Debug, Clone)]
pub struct Processed {
    pub kind: MediaKind,
    /// Type of the stored bytes (sniffed, after processing).
    pub mime: &'static str,
    /// The bytes to store: images re-encoded without metadata, voice as uploaded.
    pub body: Bytes,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub duration_ms: Option<u64>,
    pub waveform: Option<Vec<u8>>,
    /// The thumbnail of an image, and its type.
    pub thumb: Option<(Bytes, &'static str)>,
}

/// Verifies and processes `bytes`. `declared` is the client's content type, if it sent one: it must
/// agree with the sniffed type. `expected` restricts the kind (presigned uploads declare it first).
pub fn process(
    bytes: Bytes,
    declared: Option<&str>,
    expected: Option<MediaKind>,
    limits: &MediaLimits,
) -> Result<Processed, UploadError> {
    if bytes.is_empty() {
        return Err(UploadError::Unprocessable("the file is empty".into()));
    }
    let sniffed = sniff(&bytes)?;
    sniffed.check_declared(declared)?;
    if expected.is_some_and(|kind| kind != sniffed.kind) {
        return Err(UploadError::UnsupportedType(format!(
            "the file is {}, not the {} declared",
            sniffed.mime,
            expected.map_or("", MediaKind::as_str)
        )));
    }
    let max = match sniffed.kind {
        MediaKind::Image => limits.image_max_bytes,
        MediaKind::Voice => limits.voice_max_bytes,
    };
    if bytes.len() as u64 > max {
        return Err(UploadError::TooLarge(format!(
            "{} files may be at most {max} bytes",
            sniffed.kind.as_str()
        )));
    }
    match sniffed.kind {
        MediaKind::Image => image::process(&bytes, sniffed, limits),
        MediaKind::Voice => voice::process(bytes, sniffed, limits),
    }
}
