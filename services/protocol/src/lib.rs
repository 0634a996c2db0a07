//! Wire types of natter, shared by every service, the load generator and the tests.
//!
//! The WebSocket frames keep the seed's JSON shape
//! (`{"userid":2,"dstid":3,"cmd":10,"media":1,"content":"hello"}`); see `docs/protocol.md`.
//! This crate does no I/O: it only says what travels on the wire.

pub mod api;
pub mod frames;
pub mod limits;

pub use api::*;
pub use frames::*;
pub use limits::*;
