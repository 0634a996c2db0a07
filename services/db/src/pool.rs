//! The connection pool and the migrations. Connections use TLS when the URL's `sslmode` asks
//! (see [`crate::tls`]).

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use crate::{
    error::{DbError, DbResult},
    tls::{self, Target},
};

mod embedded {
    refinery::embed_migrations!("../../migrations");
}

/// Arbitrary key of the advisory lock held while migrating, so that services starting together
/// apply the migrations once.
const MIGRATION_LOCK: i64 = 0x6e61_7474_6572; // "natter"

/// Connects to `url` with at most `max_size` connections, creating the database if it is missing,
/// and applies the migrations.
pub async fn connect(url: &str, max_size: usize) -> DbResult<Pool> {
    let pool = connect_without_migrating(url, max_size).await?;
    migrate(&pool).await?;
    Ok(pool)
}

/// Connects like [`connect`] but leaves the schema alone.
pub async fn connect_without_migrating(url: &str, max_size: usize) -> DbResult<Pool> {
    let target = tls::parse(url)?;
    create_database_if_missing(&target).await?;
    let recycling = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = match target.tls {
        Some(tls) => Manager::from_config(target.config, tls, recycling),
        None => Manager::from_config(target.config, NoTls, recycling),
    };
    Pool::builder(manager)
        .max_size(max_size)
        .build()
        .map_err(|e| DbError::Config(e.to_string()))
}

async fn migrate(pool: &Pool) -> DbResult<()> {
    let mut client = pool.get().await?;
    client
        .execute("select pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let result = embedded::migrations::runner()
        .run_async(&mut **client)
        .await;
    client
        .execute("select pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await?;
    let report = result?;
    for applied in report.applied_migrations() {
        tracing::info!(migration = %applied, "migration applied");
    }
    Ok(())
}

/// Drops the database `url` names (ending its sessions first), if it exists.
pub async fn drop_database(url: &str) -> DbResult<()> {
    let target = tls::parse(url)?;
    let Some(name) = target.config.get_dbname().map(str::to_owned) else {
        return Ok(());
    };
    let (client, driver) = admin_client(&target).await?;
    let quoted = name.replace('"', "\"\"");
    client
        .batch_execute(&format!(
            "drop database if exists \"{quoted}\" with (force)"
        ))
        .await?;
    drop(client);
    let _ = driver.await;
    Ok(())
}

/// [`drop_database`] for code that cannot await (a `Drop`): runs it on a thread of its own.
fn drop_database_blocking(url: &str) -> DbResult<()> {
    let url = url.to_owned();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(drop_database(&url))
    })
    .join()
    .unwrap_or_else(|_| Err(std::io::Error::other("drop_database panicked").into()))
}

/// What a test harness does with its database when the test ends: drops it, unless the test
/// failed (the thread is panicking) or `KEEP_TEST_DB` is set, so that it can be looked into.
pub fn drop_test_database(url: &str) {
    if std::thread::panicking() || std::env::var_os("KEEP_TEST_DB").is_some() {
        eprintln!("test database kept: {url}");
    } else if let Err(e) = drop_database_blocking(url) {
        eprintln!("could not drop test database {url}: {e}");
    }
}

/// A connection to the `postgres` database of the target's server (with the same TLS), and the
/// task driving it.
async fn admin_client(
    target: &Target,
) -> DbResult<(
    tokio_postgres::Client,
    tokio::task::JoinHandle<Result<(), tokio_postgres::Error>>,
)> {
    let mut admin = target.config.clone();
    admin.dbname("postgres");
    Ok(match target.tls.clone() {
        Some(tls) => {
            let (client, connection) = admin.connect(tls).await?;
            (client, tokio::spawn(connection))
        }
        None => {
            let (client, connection) = admin.connect(NoTls).await?;
            (client, tokio::spawn(connection))
        }
    })
}

async fn create_database_if_missing(target: &Target) -> DbResult<()> {
    let Some(name) = target.config.get_dbname().map(str::to_owned) else {
        return Ok(());
    };
    let (client, driver) = admin_client(target).await?;
    let exists = client
        .query_opt("select 1 from pg_database where datname = $1", &[&name])
        .await?
        .is_some();
    if !exists {
        let quoted = name.replace('"', "\"\"");
        match client
            .batch_execute(&format!("create database \"{quoted}\""))
            .await
        {
            Ok(()) => tracing::info!(database = %name, "database created"),
            // Another process created it in between (the catalog's unique index may say so first).
            Err(e)
                if e.code() == Some(&tokio_postgres::error::SqlState::DUPLICATE_DATABASE)
                    || e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => {}
            Err(e) => return Err(e.into()),
        }
    }
    drop(client);
    let _ = driver.await;
    Ok(())
}
