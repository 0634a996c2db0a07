//! The upload service: verifies images and voice clips, processes them and keeps them in
//! S3-compatible storage; the URLs it returns are what chat messages carry.
//!
//! - [`config`]: settings from the environment.
//! - [`startup`]: builds the application and runs it with graceful shutdown.
//! - [`routes`]: the HTTP routes (uploads, presigned uploads, media access, health).
//! - [`media`]: verification and processing: type sniffing, images, voice.
//! - [`storage`]: the S3 client.
//! - [`memory`]: gives large buffers back to the system when they are freed.
//! - [`sweeper`]: forgets direct uploads that expired without being completed.
//! - [`error`]: the one error type, mapped to HTTP in one place.

pub mod config;
pub mod error;
pub mod media;
pub mod memory;
pub mod routes;
pub mod startup;
pub mod state;
pub mod storage;
pub mod sweeper;

pub use config::Config;
pub use startup::Application;
