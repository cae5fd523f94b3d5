//! Where a request reads and writes: the connection pool, its share of the pool, or a
//! transaction an idempotent request runs inside (see [`super::idempotency`]); and the write
//! transactions it begins there.

use std::sync::Arc;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    QueryResult, Statement, TransactionTrait,
};
use tokio::sync::Semaphore;

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
