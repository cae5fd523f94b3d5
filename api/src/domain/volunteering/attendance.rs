//! Attendance: the organiser checks volunteers in and out, or volunteers do it themselves with
//! the short-lived code the organiser shows. Checking out records the service.

use chrono::{DateTime, Utc};
use entities::checkin_code::{self, CodePurpose};
use entities::volunteer_activity::{self};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};

use crate::auth::secret::{digest, random_token};
use crate::auth::{Principal, PrincipalKind, Scope};
use crate::domain::audit::{Actor, Transition};
use crate::domain::outcome::Outcome;
use crate::domain::permissions::{ORGANISATION_ADMINS, acts_for};
use crate::domain::rows::{find_visible, lock_owner};
use crate::domain::transaction::{Db, begin_write};
use crate::error::ApiError;

use super::rules::{SignupOutcome, UNDERWAY, VolunteeringRefusal, VolunteeringRules};
use super::signups::{SignupChange, live_signup};

/// The organiser records a volunteer's check-in or check-out, now or at a time in the past
/// (attendance noted on paper is entered afterwards).
pub async fn record_attendance(
    db: &Db,
    principal: &Principal,
    signup_id: i64,
    purpose: CodePurpose,
    at: Option<DateTime<Utc>>,
    rules: VolunteeringRules,
) -> Result<SignupOutcome, ApiError> {
    principal.require(Scope::VolunteeringWrite)?;
    let change = SignupChange::begin(db, principal, signup_id).await?;
    if !acts_for(
        principal,
        change.activity.organization_id,
        ORGANISATION_ADMINS,
    ) {
        return change.refuse(VolunteeringRefusal::NotOrganizer).await;
    }
    change
        .attend(purpose, at.unwrap_or_else(Utc::now), rules)
        .await
}

/// The volunteer checks themself in or out with the code the organiser shows.
pub async fn attend_with_code(
    db: &Db,
    principal: &Principal,
    activity_id: i64,
    purpose: CodePurpose,
    code: &str,
    rules: VolunteeringRules,
) -> Result<SignupOutcome, ApiError> {
    use VolunteeringRefusal as R;
    principal.require(Scope::VolunteeringWrite)?;
    let person = match (principal.kind, principal.person_id) {
        (Some(PrincipalKind::Person), Some(person)) => person,
        _ => {
            return Ok(Outcome::refused(None, R::NotAVolunteer));
        }
    };
    let now = Utc::now();
    let signup = {
        // Reads only: the write transaction below re-reads what it changes.
        let activity =
            find_visible::<volunteer_activity::Entity>(db, principal, activity_id).await?;
        let valid = checkin_code::Entity::find()
            .filter(checkin_code::Column::ActivityId.eq(activity.id))
            .filter(checkin_code::Column::Purpose.eq(purpose))
            .filter(checkin_code::Column::CodeDigest.eq(digest(code.trim())))
            .filter(checkin_code::Column::ExpiresAt.gt(now))
            .count(db)
            .await?
            > 0;
        let signup = live_signup(db, activity.id, person).await?;
        match (valid, signup) {
            (false, _) => {
                return Ok(Outcome::refused(None, R::InvalidCode));
            }
            (true, None) => {
                return Ok(Outcome::refused(None, R::SignupNotApproved));
            }
            (true, Some(signup)) => signup,
        }
    };
    // Re-read in the write transaction that changes it: the state seen above may have moved.
    let change = SignupChange::begin(db, principal, signup.id).await?;
    change.attend(purpose, now, rules).await
}

/// The organiser issues the code volunteers check in (or out) with; it replaces the previous
/// one and expires after the configured lifetime. Only its digest is stored, so the code is
/// shown once, in this answer.
pub async fn issue_attendance_code(
    db: &Db,
    principal: &Principal,
    activity_id: i64,
    purpose: CodePurpose,
    rules: VolunteeringRules,
) -> Result<Result<(String, DateTime<Utc>), VolunteeringRefusal>, ApiError> {
    principal.require(Scope::VolunteeringWrite)?;
    let txn = begin_write(db).await?;
    let activity = find_visible::<volunteer_activity::Entity>(&txn, principal, activity_id).await?;
    let refusal = if !acts_for(principal, activity.organization_id, ORGANISATION_ADMINS) {
        Some(VolunteeringRefusal::NotOrganizer)
    } else if !UNDERWAY.contains(&activity.status) {
        Some(VolunteeringRefusal::NotUnderway)
    } else {
        None
    };
    if let Some(refusal) = refusal {
        txn.rollback().await?;
        return Ok(Err(refusal));
    }
    // The activity's row owns its one code per purpose: codes issued at once take turns, each
    // replacing the one before, instead of the second failing on the unique index.
    lock_owner::<volunteer_activity::Entity>(&txn, activity.id).await?;
    checkin_code::Entity::delete_many()
        .filter(checkin_code::Column::ActivityId.eq(activity.id))
        .filter(checkin_code::Column::Purpose.eq(purpose))
        .exec(&txn)
        .await?;
    let code = random_token::<6>();
    let now = Utc::now();
    let expires_at = now + rules.code_lifetime;
    let issued = checkin_code::ActiveModel {
        activity_id: Set(activity.id),
        purpose: Set(purpose),
        code_digest: Set(digest(&code)),
        expires_at: Set(expires_at),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    Transition::created("issue_attendance_code", "checkin_code", issued.id, purpose)
        .record(&txn, &Actor::from(principal))
        .await?;
    txn.commit().await?;
    Ok(Ok((code, expires_at)))
}
