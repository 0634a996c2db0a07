//! Integration tests of the hub: each test starts the hub on a random port against a fresh database.

mod accounts;
mod cluster;
mod helpers;
mod history;
mod realtime;
mod social;
