//! Reading one row by id: as the caller may see it (everything else is NOT_FOUND, missing or out
//! of scope alike), locked for the rest of the transaction, or again after a change.
//!
//! Locks are `SELECT … FOR UPDATE` on PostgreSQL, so that a rule that counts or checks rows
//! owned by the locked one (places, caps, "at most one") sees every concurrent change in order;
//! SQLite's `BEGIN IMMEDIATE` already serialises writers, and sea-orm leaves the clause out there.

use entities::admin_unit::{self, UnitLevel};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, PrimaryKeyTrait,
    QueryFilter, QuerySelect,
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
