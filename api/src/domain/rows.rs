//! Reading one row by id: as the caller may see it (everything else is NOT_FOUND, missing or out
//! of scope alike), locked for the rest of the transaction, or again after a change.
//!
//! Locks are `SELECT … FOR UPDATE` on PostgreSQL, so that a rule that counts or checks rows
//! owned by the locked one (places, caps, "at most one") sees every concurrent change in order;
//! SQLite's `BEGIN IMMEDIATE` already serialises writers, and sea-orm leaves the clause out there.

use entities::admin_unit::{self, UnitLevel};
use sea_orm::sea_query::{Alias, Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction, DbErr, EntityTrait, Order,
    PrimaryKeyTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::scope::Scoped;
use crate::auth::Principal;
use crate::error::ApiError;

/// A table whose rows are looked up by their `id`, and what NOT_FOUND calls one of them.
pub trait Row: EntityTrait<PrimaryKey: PrimaryKeyTrait<ValueType: From<i64>>> {
    /// The row's kind, for people: `NOT_FOUND "volunteer activity 12"`.
    const NAME: &'static str;
}

macro_rules! rows {
    ($($module:ident => $name:literal),* $(,)?) => {
        $(impl Row for entities::$module::Entity {
            const NAME: &'static str = $name;
        })*
    };
}

rows!(
    activity_signup => "activity sign-up",
    feedback_report => "feedback report",
    member_registration => "member registration",
    member_report => "member report",
    micro_wish => "micro-wish",
    organization => "organisation",
    org_registration => "organisation registration",
    party_member => "Party member",
    person => "person",
    post_claim => "post claim",
    service_post => "service post",
    service_record => "service record",
    team_member => "team membership",
    volunteer_activity => "volunteer activity",
    volunteer_team => "volunteer team",
);

/// The row `id` of `E` if `principal` may see it; NOT_FOUND otherwise, whether it is missing or
/// out of scope.
pub async fn find_visible<E: Row + Scoped>(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: i64,
) -> Result<E::Model, ApiError> {
    E::find_by_id(id)
        .filter(E::visible_to(principal))
        .one(db)
        .await?
        .ok_or_else(|| not_found::<E>(id))
}

/// Like [`find_visible`], and locks the row until the transaction ends.
pub async fn lock_visible<E: Row + Scoped>(
    txn: &DatabaseTransaction,
    principal: &Principal,
    id: i64,
) -> Result<E::Model, ApiError> {
    E::find_by_id(id)
        .filter(E::visible_to(principal))
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| not_found::<E>(id))
}

/// The row `id` of `E`, locked until the transaction ends, for a row the caller's right to was
/// established another way.
pub async fn lock<E: Row>(txn: &DatabaseTransaction, id: i64) -> Result<E::Model, ApiError> {
    E::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| not_found::<E>(id))
}

/// Locks the row `id` of `E` until the transaction ends, as the owner of a rule that counts or
/// checks the rows under it — a claimant's open claims, a person's places, a member's open
/// registration: every change under one owner then takes its turn, on PostgreSQL across
/// instances too, and each sees the ones before it. A missing row locks nothing.
pub async fn lock_owner<E: Row>(txn: &DatabaseTransaction, id: i64) -> Result<(), DbErr> {
    lock_owners::<E>(txn, &[id]).await
}

/// Like [`lock_owner`], for many owners at once. They are locked in the order of their ids, so
/// two transactions locking overlapping sets wait for each other instead of deadlocking.
pub async fn lock_owners<E: Row>(txn: &DatabaseTransaction, ids: &[i64]) -> Result<(), DbErr> {
    // SQLite's `BEGIN IMMEDIATE` holds the database's one write lock already.
    if txn.get_database_backend() != DatabaseBackend::Postgres || ids.is_empty() {
        return Ok(());
    }
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let id = || Expr::col(Alias::new("id"));
    for chunk in ids.chunks(ID_CHUNK) {
        E::find()
            .select_only()
            .column_as(id(), "id")
            .filter(id().is_in(chunk.iter().copied()))
            .order_by(id(), Order::Asc)
            .lock_exclusive()
            .into_tuple::<i64>()
            .all(txn)
            .await?;
    }
    Ok(())
}

/// The most ids one statement binds: far below either database's limit on parameters.
pub const ID_CHUNK: usize = 1_000;

/// The row `id` of `E` as it stands now, e.g. in this transaction after a change to it.
pub async fn reload<E: Row>(db: &impl ConnectionTrait, id: i64) -> Result<E::Model, ApiError> {
    E::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| not_found::<E>(id))
}

/// Whether the unit `id` exists and is a community.
pub async fn is_community(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    Ok(admin_unit::Entity::find_by_id(id)
        .filter(admin_unit::Column::Level.eq(UnitLevel::Community))
        .one(db)
        .await?
        .is_some())
}

/// NOT_FOUND for the row `id` of `E`.
pub fn not_found<E: Row>(id: i64) -> ApiError {
    ApiError::NotFound(format!("{} {id}", E::NAME))
}
