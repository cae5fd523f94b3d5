//! Idempotent mutations: a retry with the same key and the same input returns the first result
//! and changes nothing; the same key with another input is a conflict. Keys belong to the caller
//! and expire.

use std::future::Future;

use chrono::{Duration, Utc};
use entities::idempotency_key::{self, IdempotencyStatus};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, SqlErr,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::auth::Principal;
use crate::auth::secret::digest;
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
    pub async fn run<T, F>(
        self,
        db: &DatabaseConnection,
        principal: &Principal,
        mutation: F,
    ) -> Result<T, ApiError>
    where
        T: Serialize + DeserializeOwned,
        F: Future<Output = Result<T, ApiError>>,
    {
        let Some(key) = self.key else {
            return mutation.await;
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

        let reservation = match self.reserve(db, &caller, key, &fingerprint).await? {
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
        match mutation.await {
            Ok(result) => {
                let stored = serde_json::to_string(&result).map_err(|_| ApiError::Internal)?;
                let mut done: idempotency_key::ActiveModel = reservation.into();
                done.status = Set(IdempotencyStatus::Done);
                done.result = Set(Some(stored));
                done.update(db).await?;
                Ok(result)
            }
            Err(err) => {
                // A failed request may be retried with the same key.
                idempotency_key::Entity::delete_by_id(reservation.id)
                    .exec(db)
                    .await?;
                Err(err)
            }
        }
    }

    /// Claims the key for this request, or finds the first request's result.
    async fn reserve(
        &self,
        db: &DatabaseConnection,
        caller: &str,
        key: &str,
        fingerprint: &str,
    ) -> Result<Reservation, ApiError> {
        let now = Utc::now();
        idempotency_key::Entity::delete_many()
            .filter(idempotency_key::Column::Caller.eq(caller))
            .filter(idempotency_key::Column::Key.eq(key))
            .filter(idempotency_key::Column::ExpiresAt.lt(now))
            .exec(db)
            .await?;
        let reserved = idempotency_key::ActiveModel {
            caller: Set(caller.to_owned()),
            key: Set(key.to_owned()),
            operation: Set(self.operation.to_owned()),
            fingerprint: Set(fingerprint.to_owned()),
            status: Set(IdempotencyStatus::Pending),
            result: Set(None),
            created_at: Set(now),
            expires_at: Set(now + self.lifetime),
            ..Default::default()
        }
        .insert(db)
        .await;
        let err = match reserved {
            Ok(reservation) => return Ok(Reservation::Reserved(reservation)),
            Err(err) => err,
        };
        if !matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
            return Err(err.into());
        }
        let first = idempotency_key::Entity::find()
            .filter(idempotency_key::Column::Caller.eq(caller))
            .filter(idempotency_key::Column::Key.eq(key))
            .one(db)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound("idempotency key".to_owned()))?;
        if first.operation != self.operation || first.fingerprint != fingerprint {
            return Err(ApiError::Conflict(
                "this idempotency key was used with a different request; use a new key".to_owned(),
            ));
        }
        match (first.status, first.result) {
            (IdempotencyStatus::Done, Some(result)) => Ok(Reservation::Replayed(result)),
            _ => Err(ApiError::Conflict(
                "the first request with this idempotency key is still running; retry later"
                    .to_owned(),
            )),
        }
    }
}

enum Reservation {
    Reserved(idempotency_key::Model),
    Replayed(String),
}
