//! Limits every client must respect, published at `GET /api/v1/config`.

use serde::{Deserialize, Serialize};

/// Limits of the realtime hub, as published to clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HubLimits {
    /// Largest WebSocket text frame the hub reads, in bytes; a larger one gets an error frame.
    pub max_frame_bytes: usize,
    /// Longest message `content`, in characters (Unicode scalar values).
    pub max_text_chars: usize,
    /// Sustained messages per second one connection may send.
    pub rate_per_sec: u32,
    /// Burst of messages above the sustained rate.
    pub rate_burst: u32,
    /// Most messages replayed per conversation by one catch-up (cmd 30).
    pub catch_up_page: u32,
    /// Most messages one history page returns.
    pub history_page_max: u32,
    /// Seconds between the server's pings.
    pub heartbeat_secs: u64,
    /// Seconds of silence after which the server closes a connection.
    pub idle_timeout_secs: u64,
}

impl Default for HubLimits {
    fn default() -> Self {
        Self {
            max_frame_bytes: 16 * 1024,
            max_text_chars: 4000,
            rate_per_sec: 20,
            rate_burst: 60,
            catch_up_page: 500,
            history_page_max: 200,
            heartbeat_secs: 20,
            idle_timeout_secs: 60,
        }
    }
}

/// Limits of the upload service, as published to clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaLimits {
    /// Largest image upload, in bytes.
    pub image_max_bytes: u64,
    /// Largest voice upload, in bytes.
    pub voice_max_bytes: u64,
    /// Most pixels (width × height) an image may have.
    pub image_max_pixels: u64,
    /// Longest side of an image, in pixels.
    pub image_max_side: u32,
    /// Shortest voice clip, in milliseconds.
    pub voice_min_ms: u64,
    /// Longest voice clip, in milliseconds.
    pub voice_max_ms: u64,
    /// Longest side of a thumbnail, in pixels.
    pub thumb_max_side: u32,
    /// Image types accepted (sniffed from the bytes).
    pub image_types: Vec<String>,
    /// Voice types accepted (sniffed from the bytes).
    pub voice_types: Vec<String>,
}

impl Default for MediaLimits {
    fn default() -> Self {
        Self {
            image_max_bytes: 10 * 1024 * 1024,
            voice_max_bytes: 5 * 1024 * 1024,
            image_max_pixels: 40_000_000,
            image_max_side: 12_000,
            voice_min_ms: 1_000,
            voice_max_ms: 5 * 60 * 1_000,
            thumb_max_side: 320,
            image_types: ["image/jpeg", "image/png", "image/gif", "image/webp"]
                .map(String::from)
                .to_vec(),
            voice_types: ["audio/webm", "audio/ogg", "audio/mp4"]
                .map(String::from)
                .to_vec(),
        }
    }
}

/// Everything `GET /api/v1/config` answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientConfig {
    /// Base URL of the upload service (media are fetched from `{upload_url}/media/{id}`).
    pub upload_url: String,
    /// Whether the development sign-in (`/chat.html?id=N`) is on.
    pub dev_login: bool,
    pub hub: HubLimits,
    pub media: MediaLimits,
}
