//! All PostgreSQL access of natter.
//!
//! [`connect`] makes the pool (creating the database when it is missing) and applies the migrations
//! in `migrations/`; each module below owns the queries of one part of the schema.

mod error;
mod pool;
pub mod tls;

pub mod contacts;
pub mod conversations;
pub mod groups;
pub mod history;
pub mod media;
pub mod memberships;
pub mod messages;
pub mod receipts;
pub mod users;

pub use deadpool_postgres::{GenericClient, Pool, PoolError, Transaction};
pub use error::{DbError, DbResult};
pub use pool::{connect, connect_without_migrating, drop_database, drop_test_database};
