//! Connecting to the database, bringing its schema up to date, and the one fact every table
//! shares: a single `BIGINT` primary key named `id`.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DbErr,
    EntityTrait, Iterable, ModelTrait, PrimaryKeyToColumn,
};

use crate::config::DatabaseSettings;

/// Counts the SQL statements the server runs; `/metrics` shows it, and tests use it to prove
/// that a query's statement count does not grow with its page size.
#[derive(Debug, Clone, Default)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Opens the connection pool. An SQLite file (and its directory) is created when missing.
pub async fn connect(
    settings: &DatabaseSettings,
    counter: &StatementCounter,
) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = sqlite_file(&settings.url)
        && let Some(dir) = Path::new(path)
            .parent()
            .filter(|dir| !dir.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)
            .map_err(|err| DbErr::Custom(format!("cannot create {}: {err}", dir.display())))?;
    }
    let mut options = ConnectOptions::new(&settings.url);
    options
        .max_connections(settings.max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
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
        statements.fetch_add(1, Ordering::Relaxed);
        tracing::trace!(sql = %info.statement, elapsed = ?info.elapsed, failed = info.failed, "statement");
    });
    Ok(db)
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Checks that the database answers.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(drop)
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
