//! Where a request reads and writes: the connection pool, its share of the pool, or a
//! transaction an idempotent request runs inside (see [`super::idempotency`]); and the write
//! transactions it begins there.

use std::sync::Arc;

use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    ExecResult, IsolationLevel, QueryResult, Statement, TransactionOptions, TransactionTrait,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::db;

/// The database as a request sees it. Mostly the pool, or a share of it; for a request with an
/// idempotency key, the request's own transaction, so that the key, the work and its stored
/// result commit together or not at all. Cheap to clone.
#[derive(Debug, Clone)]
pub enum Db {
    /// Statements run on the pool; each write transaction is a transaction of its own.
    Pool(DatabaseConnection),
    /// Statements run on the pool, at most as many at once as the semaphore has permits, so
    /// that one request (two hundred lists side by side, say) cannot take every connection from
    /// the others; each write transaction is a transaction of its own.
    Share(DatabaseConnection, Arc<Semaphore>),
    /// Statements run inside this transaction; each write transaction is a savepoint in it.
    Within(Arc<DatabaseTransaction>),
}

impl From<&DatabaseConnection> for Db {
    fn from(pool: &DatabaseConnection) -> Self {
        Self::Pool(pool.clone())
    }
}

impl Db {
    /// The pool, of which one request uses at most `connections` at once.
    pub fn share(pool: &DatabaseConnection, connections: usize) -> Self {
        Self::Share(pool.clone(), Arc::new(Semaphore::new(connections.max(1))))
    }
}

/// A transaction that only reads, and sees one snapshot of the database from its first
/// statement to its last: figures computed from several statements agree with each other.
/// Holds one connection of the request's share while it lasts.
pub struct SnapshotRead {
    txn: DatabaseTransaction,
    /// Whether the snapshot is the database's alone: false inside a request's own transaction,
    /// whose reads also see its uncommitted writes.
    shared: bool,
    _permit: Option<OwnedSemaphorePermit>,
}

impl SnapshotRead {
    /// Begins one where `db` reads: on the pool a read-only transaction (on PostgreSQL
    /// `REPEATABLE READ`, so every statement sees the first one's snapshot; SQLite's read
    /// transactions always do); inside a request's transaction a savepoint.
    pub async fn begin(db: &Db) -> Result<Self, DbErr> {
        let (pool, share) = match db {
            Db::Pool(pool) => (pool, None),
            Db::Share(pool, share) => (pool, Some(share)),
            Db::Within(txn) => {
                return Ok(Self {
                    txn: txn.begin().await?,
                    shared: false,
                    _permit: None,
                });
            }
        };
        // Closed only when the request is over, and then nobody reads any more.
        let permit = match share {
            Some(share) => Some(
                share
                    .clone()
                    .acquire_owned()
                    .await
                    .map_err(|_| DbErr::Custom("the request is over".into()))?,
            ),
            None => None,
        };
        let options = match pool.get_database_backend() {
            DbBackend::Postgres => TransactionOptions {
                isolation_level: Some(IsolationLevel::RepeatableRead),
                access_mode: Some(AccessMode::ReadOnly),
                ..Default::default()
            },
            _ => TransactionOptions::default(),
        };
        Ok(Self {
            txn: pool.begin_with_options(options).await?,
            shared: true,
            _permit: permit,
        })
    }

    /// Where the reads run.
    pub fn connection(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// A name of the snapshot this transaction sees, equal for two transactions exactly when
    /// they see the same committed rows: PostgreSQL's `pg_current_snapshot()` (the oldest
    /// transaction still running, the next transaction id, and those running in between).
    /// `None` on SQLite, which has no such name, and inside a request's own transaction.
    pub async fn name(&self) -> Result<Option<String>, DbErr> {
        if !self.shared || self.txn.get_database_backend() != DbBackend::Postgres {
            return Ok(None);
        }
        let statement = Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_current_snapshot()::text AS snapshot",
        );
        let row = self.txn.query_one_raw(statement).await?;
        row.map(|row| row.try_get::<String>("", "snapshot"))
            .transpose()
    }

    /// Ends the transaction; it wrote nothing.
    pub async fn end(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }
}

/// Begins a transaction that will write: on the pool, one of its own
/// ([`db::begin_immediate`]); inside a request's transaction, a savepoint, which the surrounding
/// transaction commits with it.
pub async fn begin_write(db: &Db) -> Result<DatabaseTransaction, DbErr> {
    match db {
        Db::Pool(pool) | Db::Share(pool, _) => db::begin_immediate(pool).await,
        Db::Within(txn) => txn.begin().await,
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Db {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            Db::Pool(pool) | Db::Share(pool, _) => pool.get_database_backend(),
            Db::Within(txn) => txn.get_database_backend(),
        }
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match self {
            Db::Pool(pool) => pool.execute_raw(stmt).await,
            Db::Share(pool, share) => {
                let _permit = share.acquire().await;
                pool.execute_raw(stmt).await
            }
            Db::Within(txn) => txn.execute_raw(stmt).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self {
            Db::Pool(pool) => pool.execute_unprepared(sql).await,
            Db::Share(pool, share) => {
                let _permit = share.acquire().await;
                pool.execute_unprepared(sql).await
            }
            Db::Within(txn) => txn.execute_unprepared(sql).await,
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self {
            Db::Pool(pool) => pool.query_one_raw(stmt).await,
            Db::Share(pool, share) => {
                let _permit = share.acquire().await;
                pool.query_one_raw(stmt).await
            }
            Db::Within(txn) => txn.query_one_raw(stmt).await,
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Db::Pool(pool) => pool.query_all_raw(stmt).await,
            Db::Share(pool, share) => {
                let _permit = share.acquire().await;
                pool.query_all_raw(stmt).await
            }
            Db::Within(txn) => txn.query_all_raw(stmt).await,
        }
    }
}
