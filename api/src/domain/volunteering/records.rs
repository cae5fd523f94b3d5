//! Service records: minutes from checked-out attendance, confirmed by the recording
//! organisation; a confirmed record never changes, a correction is a new compensating record.
//! Also a volunteer's confirmed hours, by month, area and organisation.

use chrono::{DateTime, Utc};
use entities::party_member;
use entities::service_record::{self, RecordStatus};
use entities::volunteer_activity::{self};
use entities::volunteer_team::VolunteerArea;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use crate::auth::{Principal, Scope};
use crate::domain::audit::{Actor, Transition};
use crate::domain::calendar;
use crate::domain::outcome::{Outcome, refuse};
use crate::domain::permissions::{ORGANISATION_ADMINS, acts_for};
use crate::domain::rows::{find_visible, lock, reload};
use crate::domain::scope::Scoped;
use crate::domain::transaction::{Db, begin_write};
use crate::error::ApiError;

use super::points::credit_points;
use super::rules::{RecordOutcome, VolunteeringRefusal, VolunteeringRules};

/// The recording organisation confirms a pending service record; from then on it is immutable.
pub async fn confirm_record(
    db: &Db,
    principal: &Principal,
    record_id: i64,
    rules: VolunteeringRules,
) -> Result<RecordOutcome, ApiError> {
    principal.require(Scope::VolunteeringWrite)?;
    let txn = begin_write(db).await?;
    let record = find_visible::<service_record::Entity>(&txn, principal, record_id).await?;
    if !acts_for(principal, record.organization_id, ORGANISATION_ADMINS) {
        return refuse(
            txn,
            Some(record),
            VolunteeringRefusal::NotRecordingOrganization,
        )
        .await;
    }
    if record.status != RecordStatus::Pending {
        return refuse(txn, Some(record), VolunteeringRefusal::RecordConfirmed).await;
    }
    let updated = service_record::Entity::update_many()
        .col_expr(service_record::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(
            service_record::Column::Status,
            Expr::value(RecordStatus::Confirmed),
        )
        .col_expr(service_record::Column::ConfirmedAt, Expr::value(Utc::now()))
        .filter(service_record::Column::Id.eq(record.id))
        .filter(service_record::Column::Status.eq(RecordStatus::Pending))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return refuse(txn, Some(record), VolunteeringRefusal::RecordConfirmed).await;
    }
    Transition::new(
        "confirm_service_record",
        "service_record",
        record.id,
        RecordStatus::Pending,
        RecordStatus::Confirmed,
    )
    .record(&txn, &Actor::from(principal))
    .await?;
    credit_points(&txn, rules, &record).await?;
    let record = reload::<service_record::Entity>(&txn, record.id).await?;
    txn.commit().await?;
    Ok(Outcome::done(record))
}

/// The recording organisation corrects a confirmed record with a new, compensating record of
/// `minutes` (positive or negative) and a reason. The service's total never goes negative nor
/// beyond the scheduled span plus tolerance. Returns the compensating record.
pub async fn correct_record(
    db: &Db,
    principal: &Principal,
    record_id: i64,
    minutes: i32,
    reason: String,
    rules: VolunteeringRules,
) -> Result<RecordOutcome, ApiError> {
    use VolunteeringRefusal as R;
    principal.require(Scope::VolunteeringWrite)?;
    let txn = begin_write(db).await?;
    let record = find_visible::<service_record::Entity>(&txn, principal, record_id).await?;
    // Corrections attach to the original record, whichever of its corrections is named.
    let original_id = record.corrects_id.unwrap_or(record.id);
    // Locking the original serialises corrections of one service on PostgreSQL (SQLite's
    // writers are serialised already), so two cannot both pass the total's checks.
    let original = lock::<service_record::Entity>(&txn, original_id).await?;
    if !acts_for(principal, original.organization_id, ORGANISATION_ADMINS) {
        return refuse(txn, Some(record), R::NotRecordingOrganization).await;
    }
    if original.status != RecordStatus::Confirmed {
        return refuse(txn, Some(record), R::RecordNotConfirmed).await;
    }
    if minutes == 0 {
        return refuse(txn, Some(record), R::EmptyCorrection).await;
    }
    let entries = service_record::Entity::find()
        .filter(
            Condition::any()
                .add(service_record::Column::Id.eq(original.id))
                .add(service_record::Column::CorrectsId.eq(original.id)),
        )
        .all(&txn)
        .await?;
    let total: i64 = entries
        .iter()
        .map(|entry| i64::from(entry.minutes))
        .sum::<i64>()
        + i64::from(minutes);
    if total < 0 {
        return refuse(txn, Some(record), R::NegativeTotal).await;
    }
    let activity = match original.activity_id {
        Some(id) => volunteer_activity::Entity::find_by_id(id).one(&txn).await?,
        None => None,
    };
    if activity.is_some_and(|activity| total > rules.longest_service(&activity)) {
        return refuse(txn, Some(record), R::ExceedsSchedule).await;
    }
    let now = Utc::now();
    let correction = service_record::ActiveModel {
        person_id: Set(original.person_id),
        organization_id: Set(original.organization_id),
        member_unit_id: Set(original.member_unit_id),
        community_id: Set(original.community_id),
        activity_id: Set(original.activity_id),
        signup_id: Set(original.signup_id),
        area: Set(original.area),
        started_at: Set(original.started_at),
        ended_at: Set(original.ended_at),
        minutes: Set(minutes),
        // The recording organisation makes it, so it needs no confirmation of its own.
        status: Set(RecordStatus::Confirmed),
        corrects_id: Set(Some(original.id)),
        reason: Set(Some(reason)),
        confirmed_at: Set(Some(now)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    Transition::created(
        "correct_service_record",
        "service_record",
        correction.id,
        RecordStatus::Confirmed,
    )
    .record(&txn, &Actor::from(principal))
    .await?;
    credit_points(&txn, rules, &correction).await?;
    txn.commit().await?;
    Ok(Outcome::done(correction))
}

/// The pending record of one checked-out attendance, with the volunteer's Party unit at the
/// time (if they are a member), so reports to that unit survive later job changes.
pub(super) async fn record_service(
    txn: &DatabaseTransaction,
    activity: &volunteer_activity::Model,
    signup_id: i64,
    person_id: i64,
    started_at: DateTime<Utc>,
    ended_at: DateTime<Utc>,
    minutes: i32,
) -> Result<service_record::Model, DbErr> {
    let member_unit = party_member::Entity::find()
        .filter(party_member::Column::PersonId.eq(person_id))
        .order_by_desc(party_member::Column::Serving)
        .order_by_asc(party_member::Column::Id)
        .one(txn)
        .await?
        .map(|member| member.organization_id);
    service_record::ActiveModel {
        person_id: Set(person_id),
        organization_id: Set(activity.organization_id),
        member_unit_id: Set(member_unit),
        community_id: Set(activity.community_id),
        activity_id: Set(Some(activity.id)),
        signup_id: Set(Some(signup_id)),
        area: Set(activity.area),
        started_at: Set(started_at),
        ended_at: Set(ended_at),
        minutes: Set(minutes),
        status: Set(RecordStatus::Pending),
        corrects_id: Set(None),
        reason: Set(None),
        confirmed_at: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(txn)
    .await
}

/// A volunteer's confirmed service minutes, in total and broken down.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HoursTotals {
    pub total_minutes: i64,
    /// By calendar month in China Standard Time, as `YYYY-MM`, oldest first.
    pub by_month: Vec<(String, i64)>,
    /// By volunteer area (none for services outside the six areas).
    pub by_area: Vec<(Option<VolunteerArea>, i64)>,
    /// By recording organisation.
    pub by_organization: Vec<(i64, i64)>,
}

/// The confirmed minutes of `person_id` that started in `[from, to)`, counting only the records
/// the caller may see (a partner sees the time given to it; the person and their community's
/// staff see all). Corrections count with the month, area and organisation of what they
/// correct, as they copy them.
pub async fn confirmed_hours(
    db: &impl ConnectionTrait,
    principal: &Principal,
    person_id: i64,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<HoursTotals, ApiError> {
    use std::collections::BTreeMap;

    use sea_orm::{ActiveEnum, QueryTrait};
    let records = service_record::Entity::find()
        .filter(service_record::Entity::visible_to(principal))
        .filter(service_record::Column::PersonId.eq(person_id))
        .filter(service_record::Column::Status.eq(RecordStatus::Confirmed))
        .apply_if(from, |query, from| {
            query.filter(service_record::Column::StartedAt.gte(from))
        })
        .apply_if(to, |query, to| {
            query.filter(service_record::Column::StartedAt.lt(to))
        })
        .all(db)
        .await?;
    let mut months = BTreeMap::new();
    let mut areas = BTreeMap::new();
    let mut organizations = BTreeMap::new();
    let mut totals = HoursTotals::default();
    for record in records {
        let minutes = i64::from(record.minutes);
        totals.total_minutes += minutes;
        let month = calendar::local(record.started_at)
            .format("%Y-%m")
            .to_string();
        *months.entry(month).or_insert(0) += minutes;
        // Keyed by the stored name: areas have no order of their own.
        let area = areas
            .entry(record.area.map(|area| area.to_value()))
            .or_insert((record.area, 0));
        area.1 += minutes;
        *organizations.entry(record.organization_id).or_insert(0) += minutes;
    }
    totals.by_month = months.into_iter().collect();
    totals.by_area = areas.into_values().collect();
    totals.by_organization = organizations.into_iter().collect();
    Ok(totals)
}
