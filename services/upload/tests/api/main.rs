//! Integration tests of the upload service: real Garage (S3), real PostgreSQL, real HTTP.

mod access;
mod direct;
mod health;
mod helpers;
mod images;
mod roles;
mod samples;
mod voice;
