//! The natter hub: the realtime WebSocket hub and the JSON API of accounts, contacts, groups and history.
//!
//! - [`config`]: settings from the environment.
//! - [`startup`]: builds the application (pool, realtime hub, router) and runs it with graceful shutdown.
//! - [`api`]: the HTTP routes under `/api/v1`, health and metrics.
//! - [`realtime`]: the WebSocket side: registry of online users, bus, group-commit writer, sessions.
//! - [`guards`]: sign-in limits, the password hashers' queue, WebSocket connection caps.
//! - [`error`]: the one error type of the HTTP API.

pub mod api;
pub mod config;
pub mod error;
pub mod extract;
pub mod guards;
pub mod password;
pub mod realtime;
pub mod startup;
pub mod state;

pub use config::Config;
pub use startup::Application;
