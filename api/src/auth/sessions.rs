//! Refresh tokens of signed-in accounts. Each is opaque, stored only as a digest, and good for
//! one exchange: refreshing rotates it into a new token of the same family (one family per
//! sign-in). A rotated token presented again means that two parties hold it, so its whole
//! family is revoked and whoever holds a token of it must sign in again.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use entities::account;
use entities::refresh_token::{self, RefreshTokenStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QuerySelect,
};

use super::secret;
use crate::db;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("the refresh token is unknown, expired or revoked")]
    Invalid,
    #[error("the refresh token was used already: every token of its sign-in is now revoked")]
    Reused,
    #[error("database: {0}")]
    Database(#[from] DbErr),
}

/// Starts a sign-in of `account_id`: the first refresh token of a new family, valid for `ttl`.
pub async fn start(
    db: &impl ConnectionTrait,
    account_id: i64,
    ttl: Duration,
) -> Result<String, DbErr> {
    let family_id = uuid::Uuid::new_v4().to_string();
    insert(db, account_id, &family_id, ttl).await
}

/// Exchanges a refresh token for its successor in the same family, valid for `ttl`. Returns the
/// account it belongs to and the new token. Of several concurrent exchanges of one token, one
/// succeeds; the others count as reuse, and reuse revokes the whole family — including a
/// successor being issued at that very moment, because every change to an account's refresh
/// tokens holds the account's row.
pub async fn rotate(
    db: &DatabaseConnection,
    presented: &str,
    ttl: Duration,
) -> Result<(i64, String), SessionError> {
    let token = find(db, presented).await?.ok_or(SessionError::Invalid)?;
    let txn = holding_account(db, token.account_id).await?;
    // Read again under the account's lock: an exchange or a sign-out may have come first.
    let token = find(&txn, presented).await?.ok_or(SessionError::Invalid)?;
    match token.status {
        RefreshTokenStatus::Rotated => {
            revoke_family(&txn, &token.family_id).await?;
            txn.commit().await?;
            return Err(SessionError::Reused);
        }
        RefreshTokenStatus::Revoked => return Err(SessionError::Invalid),
        RefreshTokenStatus::Active if token.expires_at <= Utc::now() => {
            return Err(SessionError::Invalid);
        }
        RefreshTokenStatus::Active => {}
    }
    refresh_token::Entity::update_many()
        .set(refresh_token::ActiveModel {
            status: Set(RefreshTokenStatus::Rotated),
            rotated_at: Set(Some(Utc::now())),
            ..Default::default()
        })
        .filter(refresh_token::Column::Id.eq(token.id))
        .exec(&txn)
        .await?;
    let successor = insert(&txn, token.account_id, &token.family_id, ttl).await?;
    txn.commit().await?;
    Ok((token.account_id, successor))
}

/// Signs out: revokes the family of the presented token. An unknown token changes nothing (as
/// RFC 7009 has it, so a client cannot tell whether a token ever existed).
pub async fn revoke(db: &DatabaseConnection, presented: &str) -> Result<(), DbErr> {
    if let Some(token) = find(db, presented).await? {
        let txn = holding_account(db, token.account_id).await?;
        revoke_family(&txn, &token.family_id).await?;
        txn.commit().await?;
    }
    Ok(())
}

/// A write transaction holding the account's row, which owns its refresh tokens: exchanges and
/// revocations of one account's tokens take turns, on PostgreSQL across instances too (SQLite's
/// `BEGIN IMMEDIATE` serialises every writer already).
async fn holding_account(
    db: &DatabaseConnection,
    account_id: i64,
) -> Result<DatabaseTransaction, DbErr> {
    let txn = db::begin_immediate(db).await?;
    account::Entity::find_by_id(account_id)
        .lock_exclusive()
        .one(&txn)
        .await?;
    Ok(txn)
}

async fn find(
    db: &impl ConnectionTrait,
    presented: &str,
) -> Result<Option<refresh_token::Model>, DbErr> {
    refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(secret::digest(presented)))
        .one(db)
        .await
}

async fn revoke_family(db: &impl ConnectionTrait, family_id: &str) -> Result<(), DbErr> {
    refresh_token::Entity::update_many()
        .set(refresh_token::ActiveModel {
            status: Set(RefreshTokenStatus::Revoked),
            revoked_at: Set(Some(Utc::now())),
            ..Default::default()
        })
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .filter(refresh_token::Column::Status.ne(RefreshTokenStatus::Revoked))
        .exec(db)
        .await?;
    Ok(())
}

/// A new active token of the family; returns the token, of which only the digest is stored.
async fn insert(
    db: &impl ConnectionTrait,
    account_id: i64,
    family_id: &str,
    ttl: Duration,
) -> Result<String, DbErr> {
    let token = secret::random_token::<32>();
    let now = Utc::now();
    let row = refresh_token::ActiveModel {
        account_id: Set(account_id),
        family_id: Set(family_id.to_owned()),
        token_hash: Set(secret::digest(&token)),
        status: Set(RefreshTokenStatus::Active),
        expires_at: Set(expiry(now, ttl)),
        created_at: Set(now),
        ..Default::default()
    };
    refresh_token::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    Ok(token)
}

/// `now + ttl`, or the end of time for a lifetime too long to add.
fn expiry(now: DateTime<Utc>, ttl: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(ttl)
        .ok()
        .and_then(|ttl| now.checked_add_signed(ttl))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}
