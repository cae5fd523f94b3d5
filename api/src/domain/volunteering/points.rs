//! Points, the "love supermarket" ledger: confirmed service credits points pro rata, a
//! redemption debits them, and the balance never goes below zero. The ledger is append-only.

use chrono::Utc;
use entities::person;
use entities::service_record::{self, RecordStatus};
use entities::{household, points_entry};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::auth::{Principal, Scope};
use crate::domain::audit::{Actor, Transition};
use crate::domain::outcome::Outcome;
use crate::domain::permissions::{COMMUNITY_OR_ABOVE, staff_covers};
use crate::domain::rows::{find_visible, lock_owner};
use crate::domain::scope::self_or_their_staff;
use crate::domain::transaction::{Db, begin_write};
use crate::error::ApiError;

use super::rules::{VolunteeringRefusal, VolunteeringRules};

pub type PointsOutcome = Outcome<points_entry::Model, VolunteeringRefusal>;

/// Credits the points a confirmed record is worth to its volunteer's ledger; a negative
/// correction debits them, but never below zero (points already redeemed stay redeemed).
pub(super) async fn credit_points(
    txn: &DatabaseTransaction,
    rules: VolunteeringRules,
    record: &service_record::Model,
) -> Result<(), DbErr> {
    lock_owner::<person::Entity>(txn, record.person_id).await?;
    let balance = points_balance_of(txn, record.person_id).await?;
    let points = rules.points_for(record.minutes).max(-i64::from(balance));
    let Ok(points @ (..=-1 | 1..)) = i32::try_from(points) else {
        return Ok(());
    };
    let note = match record.corrects_id {
        Some(_) => "correction of confirmed service",
        None => "confirmed service",
    };
    append_points(
        txn,
        record.person_id,
        balance,
        points,
        Some(record.id),
        note.to_owned(),
    )
    .await
    .map(drop)
}

/// The volunteer's current balance: that of their latest entry.
pub(super) async fn points_balance_of(
    txn: &impl ConnectionTrait,
    person_id: i64,
) -> Result<i32, DbErr> {
    Ok(points_entry::Entity::find()
        .filter(points_entry::Column::PersonId.eq(person_id))
        .order_by_desc(points_entry::Column::Id)
        .one(txn)
        .await?
        .map_or(0, |entry| entry.balance))
}

pub(super) async fn append_points(
    txn: &DatabaseTransaction,
    person_id: i64,
    balance: i32,
    points: i32,
    service_record_id: Option<i64>,
    note: String,
) -> Result<points_entry::Model, DbErr> {
    points_entry::ActiveModel {
        person_id: Set(person_id),
        points: Set(points),
        balance: Set(balance.saturating_add(points)),
        service_record_id: Set(service_record_id),
        note: Set(Some(note)),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(txn)
    .await
}

/// Staff of the volunteer's community (or above) redeem points in the "love supermarket": a
/// debit that can never take the balance below zero. The volunteer's row is locked while the
/// balance is read and the debit written, so concurrent redemptions cannot overdraw it.
pub async fn redeem_points(
    db: &Db,
    principal: &Principal,
    person_id: i64,
    points: i32,
    note: String,
) -> Result<PointsOutcome, ApiError> {
    use VolunteeringRefusal as R;
    principal.require(Scope::VolunteeringWrite)?;
    let txn = begin_write(db).await?;
    let home = find_visible::<person::Entity>(&txn, principal, person_id)
        .await?
        .household_id;
    let community = match home {
        Some(id) => household::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .map(|home| home.community_id),
        None => None,
    };
    lock_owner::<person::Entity>(&txn, person_id).await?;
    let balance = points_balance_of(&txn, person_id).await?;
    let refusal = match community {
        Some(community) if staff_covers(&txn, principal, COMMUNITY_OR_ABOVE, community).await? => {
            if points <= 0 {
                Some(R::InvalidPoints)
            } else if points > balance {
                Some(R::InsufficientPoints)
            } else {
                None
            }
        }
        _ => Some(R::NotPermitted),
    };
    if let Some(refusal) = refusal {
        txn.rollback().await?;
        return Ok(Outcome::refused(None, refusal));
    }
    let entry = append_points(&txn, person_id, balance, -points, None, note).await?;
    // A ledger entry has no life of its own: it is final, like a confirmed record, from the
    // moment it is written.
    Transition::created(
        "redeem_points",
        "points_entry",
        entry.id,
        RecordStatus::Confirmed,
    )
    .record(&txn, &Actor::from(principal))
    .await?;
    txn.commit().await?;
    Ok(Outcome::done(entry))
}

/// A volunteer's ledger, its newest `limit` entries first, for the volunteer and the staff of
/// where they live; not for their Party unit ([`self_or_their_staff`]).
pub async fn points_ledger(
    db: &impl ConnectionTrait,
    principal: &Principal,
    person_id: i64,
    limit: u64,
) -> Result<Option<Vec<points_entry::Model>>, DbErr> {
    let visible = person::Entity::find_by_id(person_id)
        .filter(self_or_their_staff(principal))
        .count(db)
        .await?
        > 0;
    if !visible {
        return Ok(None);
    }
    points_entry::Entity::find()
        .filter(points_entry::Column::PersonId.eq(person_id))
        .order_by_desc(points_entry::Column::Id)
        .limit(limit)
        .all(db)
        .await
        .map(Some)
}
