//! Media limits as settings: both services flatten [`MediaLimitsArgs`] into their configuration,
//! so the hub publishes exactly the limits the upload service enforces.

use clap::Args;
use natter_protocol::MediaLimits;

/// Media limits from the environment (or flags); defaults are [`MediaLimits::default`].
#[derive(Debug, Clone, Args)]
pub struct MediaLimitsArgs {
    /// Largest image upload, in bytes.
    #[arg(long, env = "MEDIA_IMAGE_MAX_BYTES", default_value_t = MediaLimits::default().image_max_bytes)]
    pub image_max_bytes: u64,
    /// Largest voice upload, in bytes.
    #[arg(long, env = "MEDIA_VOICE_MAX_BYTES", default_value_t = MediaLimits::default().voice_max_bytes)]
    pub voice_max_bytes: u64,
    /// Most pixels an image may have.
    #[arg(long, env = "MEDIA_IMAGE_MAX_PIXELS", default_value_t = MediaLimits::default().image_max_pixels)]
    pub image_max_pixels: u64,
    /// Longest side of an image, in pixels.
    #[arg(long, env = "MEDIA_IMAGE_MAX_SIDE", default_value_t = MediaLimits::default().image_max_side)]
    pub image_max_side: u32,
    /// Shortest voice clip, in milliseconds.
    #[arg(long, env = "MEDIA_VOICE_MIN_MS", default_value_t = MediaLimits::default().voice_min_ms)]
    pub voice_min_ms: u64,
    /// Longest voice clip, in milliseconds.
    #[arg(long, env = "MEDIA_VOICE_MAX_MS", default_value_t = MediaLimits::default().voice_max_ms)]
    pub voice_max_ms: u64,
}

impl MediaLimitsArgs {
    /// The limits as published to clients.
    pub fn limits(&self) -> MediaLimits {
        MediaLimits {
            image_max_bytes: self.image_max_bytes,
            voice_max_bytes: self.voice_max_bytes,
            image_max_pixels: self.image_max_pixels,
            image_max_side: self.image_max_side,
            voice_min_ms: self.voice_min_ms,
            voice_max_ms: self.voice_max_ms,
            ..MediaLimits::default()
        }
    }
}
