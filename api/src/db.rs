//! Connecting to the database, bringing its schema up to date, and the one fact every table
//! shares: a single `BIGINT` primary key named `id`.

use std::path::Path;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use prometheus_client::metrics::counter::Counter;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, Iterable, ModelTrait, PrimaryKeyToColumn,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::config::DatabaseSettings;

/// Counts the SQL statements the server runs; `/metrics` shows it, and tests use it to prove
/// that a query's statement count does not grow with its page size.
#[derive(Debug, Clone, Default)]
pub struct StatementCounter(Counter);

impl StatementCounter {
    pub fn get(&self) -> u64 {
        self.0.get()
    }

    /// The counter itself, for `/metrics` to show.
    pub fn counter(&self) -> Counter {
        self.0.clone()
    }
}

/// Opens the connection pool. An SQLite file (and its directory) is created when missing.
pub async fn connect(
    settings: &DatabaseSettings,
    counter: &StatementCounter,
) -> Result<DatabaseConnection, DbErr> {
    sqlite_directory(settings)?;
    let mut options = ConnectOptions::new(&settings.url);
    options
        .max_connections(settings.max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(settings.acquire_timeout_secs))
        .sqlx_logging(false)
        // SQLite: concurrent readers beside one writer, and writers wait for each other instead
        // of failing at once.
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    let mut db = Database::connect(options).await?;
    let statements = counter.0.clone();
    db.set_metric_callback(move |info| {
        statements.inc();
        tracing::trace!(sql = %info.statement, elapsed = ?info.elapsed, failed = info.failed, "statement");
    });
    Ok(db)
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once (`BEGIN
/// IMMEDIATE`), so concurrent writers queue behind each other instead of failing when a read
/// turns into a write; PostgreSQL takes row locks as it goes.
pub async fn begin_immediate(pool: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    pool.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Creates the directory of an SQLite file when it is missing.
fn sqlite_directory(settings: &DatabaseSettings) -> Result<(), DbErr> {
    if let Some(path) = sqlite_file(&settings.url)
        && let Some(dir) = Path::new(path)
            .parent()
            .filter(|dir| !dir.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)
            .map_err(|err| DbErr::Custom(format!("cannot create {}: {err}", dir.display())))?;
    }
    Ok(())
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// `gongzhi` in ASCII: the PostgreSQL advisory lock that [`StartupLock`] holds.
const STARTUP_LOCK_KEY: i64 = 0x0067_6f6e_677a_6869;

/// Held while an instance migrates the database and loads its first data, so that instances
/// starting together (a rolling deploy) take turns: the first does the work, the others find
/// it done. On PostgreSQL a session-level advisory lock on a connection of its own; on an
/// SQLite file an exclusive lock on `<file>.lock` beside it. Either is released when the holder
/// releases it or its process ends, so a crashed start never blocks the next.
pub struct StartupLock(Held);

enum Held {
    Postgres(DatabaseConnection),
    File(std::fs::File),
    Nothing,
}

impl StartupLock {
    /// Waits for the lock.
    pub async fn acquire(settings: &DatabaseSettings) -> Result<Self, DbErr> {
        if let Some(path) = sqlite_file(&settings.url) {
            sqlite_directory(settings)?;
            let path = format!("{path}.lock");
            let file = tokio::task::spawn_blocking(move || {
                let file = std::fs::File::create(&path)?;
                file.lock()?;
                Ok::<_, std::io::Error>(file)
            })
            .await
            .map_err(|err| DbErr::Custom(format!("startup lock: {err}")))?
            .map_err(|err| DbErr::Custom(format!("startup lock: {err}")))?;
            return Ok(Self(Held::File(file)));
        }
        if !settings.url.starts_with("postgres") {
            return Ok(Self(Held::Nothing));
        }
        let mut options = ConnectOptions::new(&settings.url);
        options
            .max_connections(1)
            .connect_timeout(Duration::from_secs(5))
            // Waiting for another instance's migration is no failure.
            .acquire_timeout(Duration::from_secs(3600))
            .sqlx_logging(false);
        let connection = Database::connect(options).await?;
        connection
            .execute_unprepared(&format!("SELECT pg_advisory_lock({STARTUP_LOCK_KEY})"))
            .await?;
        Ok(Self(Held::Postgres(connection)))
    }

    /// Lets the next instance go on.
    pub async fn release(self) {
        match self.0 {
            Held::Postgres(connection) => {
                // Closing the session releases the lock as well; unlocking first says so.
                let unlock = format!("SELECT pg_advisory_unlock({STARTUP_LOCK_KEY})");
                let _ = connection.execute_unprepared(&unlock).await;
                let _ = connection.close().await;
            }
            Held::File(file) => drop(file.unlock()),
            Held::Nothing => {}
        }
    }
}

/// How long a readiness probe waits for the database.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// A pool of its own for readiness probes: one connection, opened when first needed, so a
/// probe never queues behind the requests that fill the main pool, and a database that does
/// not answer fails it within [`PROBE_TIMEOUT`].
pub async fn connect_probe(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(&settings.url);
    options
        .max_connections(1)
        .min_connections(0)
        .connect_timeout(PROBE_TIMEOUT)
        .acquire_timeout(PROBE_TIMEOUT)
        .connect_lazy(true)
        .sqlx_logging(false);
    Database::connect(options).await
}

/// Checks that the database answers within [`PROBE_TIMEOUT`].
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    tokio::time::timeout(PROBE_TIMEOUT, db.execute_unprepared("SELECT 1"))
        .await
        .map_err(|_| DbErr::Custom("the database did not answer in time".to_owned()))?
        .map(drop)
}

/// Whether this is the embedded database.
pub fn is_sqlite(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DatabaseBackend::Sqlite
}

fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// The primary key column: every Gongzhi table has a single `id`.
pub fn id_column<E: EntityTrait>() -> E::Column {
    E::PrimaryKey::iter()
        .next()
        .expect("every entity has an id")
        .into_column()
}

/// The `id` of a row of any table.
pub fn row_id<E: EntityTrait>(row: &E::Model) -> i64 {
    match row.get(id_column::<E>()) {
        sea_orm::Value::BigInt(Some(id)) => id,
        other => unreachable!("ids are BIGINT, got {other:?}"),
    }
}
