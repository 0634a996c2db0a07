//! Integration tests of the hub: each test starts the hub on a random port against a fresh database.

mod accounts;
mod cluster;
mod floods;
mod helpers;
mod history;
mod process;
mod realtime;
mod security;
mod social;
