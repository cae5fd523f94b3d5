//! Idempotent mutations: a retry with the same key and the same input returns the first result
//! and changes nothing; the same key with another input is a conflict. Keys belong to the caller
//! and expire.

use std::future::Future;
use std::sync::Arc;

use chrono::{Duration, Utc};
use entities::idempotency_key::{self, IdempotencyStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, TryInsertResult,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::auth::Principal;
use crate::auth::secret::digest;
use crate::db::begin_immediate;
use crate::domain::transaction::Db;
use crate::error::ApiError;

/// The longest key accepted.
const MAX_KEY_LENGTH: usize = 200;

/// How long keys and their first results are kept, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct KeyLifetime(pub Duration);

/// One mutation sent with an optional idempotency key.
#[derive(Debug, Clone, Copy)]
pub struct Idempotent<'a, I> {
    pub key: Option<&'a str>,
    /// The mutation's name; a key is tied to one operation.
    pub operation: &'static str,
    /// The mutation's input, as it identifies the request.
    pub input: &'a I,
    /// How long the first result is kept.
    pub lifetime: Duration,
}

impl<I: Serialize> Idempotent<'_, I> {
    /// Runs `mutation` once for this caller and key; later calls with the same key and input get
    /// its first result without running it again.
    ///
    /// The key, the work and its result commit in one transaction, which `mutation` gets as its
    /// [`Db`]: a crash or a failure anywhere leaves no trace of any of them, so a retry runs the
    /// work once; a request with a key that is in use waits for the first to end, then replays
    /// its result.
    pub async fn run<T, F, Fut>(
        self,
        pool: &DatabaseConnection,
        principal: &Principal,
        mutation: F,
    ) -> Result<T, ApiError>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(Db) -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let Some(key) = self.key else {
            return mutation(Db::from(pool)).await;
        };
        if key.is_empty() || key.chars().count() > MAX_KEY_LENGTH {
            return Err(ApiError::bad_input(
                "idempotencyKey",
                format!("an idempotency key has 1 to {MAX_KEY_LENGTH} characters"),
            ));
        }
        let caller = principal.subject.clone().ok_or(ApiError::Unauthenticated)?;
        let input = serde_json::to_string(self.input).map_err(|_| ApiError::Internal)?;
        let fingerprint = digest(&format!("{}\n{input}", self.operation));

        let txn = begin_immediate(pool).await?;
        let reservation = match self.reserve(&txn, &caller, key, &fingerprint).await? {
            Reservation::Reserved(reservation) => reservation,
            Reservation::Replayed(result) => {
                // A result stored by an earlier release may have another shape; running the
                // mutation again could do its work twice, so the caller needs a new key.
                return serde_json::from_str(&result).map_err(|_| {
                    ApiError::Conflict(
                        "the first result of this idempotency key was stored by an earlier \
                         version of the API and cannot be replayed; check the object's state \
                         and use a new key"
                            .to_owned(),
                    )
                });
            }
        };
        let txn = Arc::new(txn);
        // An error rolls everything back, the key included: the request may be retried with it.
        let result = mutation(Db::Within(Arc::clone(&txn))).await?;
        let txn = Arc::into_inner(txn).ok_or_else(|| {
            tracing::error!(
                operation = self.operation,
                "a mutation kept its transaction"
            );
            ApiError::Internal
        })?;
        let stored = serde_json::to_string(&result).map_err(|_| ApiError::Internal)?;
        idempotency_key::Entity::update_many()
            .col_expr(
                idempotency_key::Column::Status,
                Expr::value(IdempotencyStatus::Done),
            )
            .col_expr(idempotency_key::Column::Result, Expr::value(stored))
            .filter(idempotency_key::Column::Id.eq(reservation))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(result)
    }

    /// Claims the key for this request in its transaction, or finds the first request's
    /// result. Claiming waits while another transaction holds the key, so a result is there
    /// once that one commits.
    async fn reserve(
        &self,
        txn: &DatabaseTransaction,
        caller: &str,
        key: &str,
        fingerprint: &str,
    ) -> Result<Reservation, ApiError> {
        let now = Utc::now();
        idempotency_key::Entity::delete_many()
            .filter(idempotency_key::Column::Caller.eq(caller))
            .filter(idempotency_key::Column::Key.eq(key))
            .filter(idempotency_key::Column::ExpiresAt.lt(now))
            .exec(txn)
            .await?;
        let reserved = idempotency_key::Entity::insert(idempotency_key::ActiveModel {
            caller: Set(caller.to_owned()),
            key: Set(key.to_owned()),
            operation: Set(self.operation.to_owned()),
            fingerprint: Set(fingerprint.to_owned()),
            status: Set(IdempotencyStatus::Pending),
            result: Set(None),
            created_at: Set(now),
            expires_at: Set(now + self.lifetime),
            ..Default::default()
        })
        .on_conflict_do_nothing_on([
            idempotency_key::Column::Caller,
            idempotency_key::Column::Key,
        ])
        .exec(txn)
        .await?;
        if let TryInsertResult::Inserted(reserved) = reserved {
            return Ok(Reservation::Reserved(reserved.last_insert_id));
        }
        let first = idempotency_key::Entity::find()
            .filter(idempotency_key::Column::Caller.eq(caller))
            .filter(idempotency_key::Column::Key.eq(key))
            .one(txn)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound("idempotency key".to_owned()))?;
        if first.operation != self.operation || first.fingerprint != fingerprint {
            return Err(ApiError::Conflict(
                "this idempotency key was used with a different request; use a new key".to_owned(),
            ));
        }
        match (first.status, first.result) {
            (IdempotencyStatus::Done, Some(result)) => Ok(Reservation::Replayed(result)),
            // Only an earlier release committed a key before its result, and lost the result
            // when its request died.
            _ => Err(ApiError::Conflict(
                "the first request with this idempotency key did not finish; check the \
                 object's state and use a new key"
                    .to_owned(),
            )),
        }
    }
}

enum Reservation {
    /// The key's row, claimed by this request.
    Reserved(i64),
    Replayed(String),
}
