//! Sign-ups: applying for a place, approval by the organiser (or at once, for self-scheduling
//! activities), the waitlist that moves up when a place frees, and cancelling. The activity's
//! row is locked before its places are counted, so capacity holds under concurrency; a
//! volunteer's row is locked before their places are checked for overlaps.

use chrono::{DateTime, Utc};
use entities::activity_signup::{self, SignupStatus};
use entities::checkin_code::CodePurpose;
use entities::person;
use entities::service_record::RecordStatus;
use entities::volunteer_activity::{self, ActivityStatus};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

use crate::auth::{Principal, PrincipalKind, Scope};
use crate::domain::audit::{Actor, Transition};
use crate::domain::outcome::Outcome;
use crate::domain::permissions::{ORGANISATION_ADMINS, acts_for};
use crate::domain::rows::{find_visible, lock, lock_owner, lock_visible, reload};
use crate::domain::transaction::{Db, begin_write};
use crate::error::ApiError;

use super::records::record_service;
use super::rules::{
    CANCELLABLE, HOLDING, SignupOutcome, UNDERWAY, VolunteeringRefusal, VolunteeringRules,
};

/// Signs the calling person up: approved at once when the activity lets volunteers schedule
/// themselves and a place is free, applied (for the organiser to approve) when a place is free
/// otherwise, and waitlisted when every place is taken. The activity row is locked for the
/// count, so concurrent sign-ups never overfill it.
pub async fn sign_up(
    db: &Db,
    principal: &Principal,
    activity_id: i64,
) -> Result<SignupOutcome, ApiError> {
    use VolunteeringRefusal as R;
    principal.require(Scope::VolunteeringWrite)?;
    let person = match (principal.kind, principal.person_id) {
        (Some(PrincipalKind::Person), Some(person)) => person,
        _ => {
            return Ok(Outcome::refused(None, R::NotAVolunteer));
        }
    };
    let txn = begin_write(db).await?;
    let activity = lock_visible::<volunteer_activity::Entity>(&txn, principal, activity_id).await?;
    lock_owner::<person::Entity>(&txn, person).await?;
    let now = Utc::now();
    let refusal = if activity.status != ActivityStatus::Published {
        Some(R::NotPublished)
    } else if now < activity.signup_opens_at || now >= activity.signup_closes_at {
        Some(R::SignupClosed)
    } else if live_signup(&txn, activity.id, person).await?.is_some() {
        Some(R::AlreadySignedUp)
    } else if overlaps(&txn, person, &activity).await? {
        Some(R::OverlappingSignup)
    } else {
        None
    };
    if let Some(refusal) = refusal {
        txn.rollback().await?;
        return Ok(Outcome::refused(None, refusal));
    }
    let status = if places_taken(&txn, activity.id).await?
        >= u64::try_from(activity.capacity).unwrap_or(0)
    {
        SignupStatus::Waitlisted
    } else if activity.self_scheduling {
        SignupStatus::Approved
    } else {
        SignupStatus::Applied
    };
    let signup = activity_signup::ActiveModel {
        activity_id: Set(activity.id),
        person_id: Set(person),
        status: Set(status),
        checked_in_at: Set(None),
        checked_out_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    Transition::created("sign_up_for_activity", "activity_signup", signup.id, status)
        .record(&txn, &Actor::from(principal))
        .await?;
    txn.commit().await?;
    Ok(Outcome::done(signup))
}

/// The organiser approves an applied or waitlisted sign-up while a place is free.
pub async fn approve_signup(
    db: &Db,
    principal: &Principal,
    signup_id: i64,
) -> Result<SignupOutcome, ApiError> {
    use VolunteeringRefusal as R;
    principal.require(Scope::VolunteeringWrite)?;
    let change = SignupChange::begin(db, principal, signup_id).await?;
    if !acts_for(
        principal,
        change.activity.organization_id,
        ORGANISATION_ADMINS,
    ) {
        return change.refuse(R::NotOrganizer).await;
    }
    if !matches!(
        change.activity.status,
        ActivityStatus::Published | ActivityStatus::RecruitmentClosed
    ) {
        return change.refuse(R::NotPublished).await;
    }
    if !matches!(
        change.signup.status,
        SignupStatus::Applied | SignupStatus::Waitlisted
    ) {
        return change.refuse(R::SignupNotPending).await;
    }
    if places_taken(&change.txn, change.activity.id).await?
        >= u64::try_from(change.activity.capacity).unwrap_or(0)
    {
        return change.refuse(R::ActivityFull).await;
    }
    lock_owner::<person::Entity>(&change.txn, change.signup.person_id).await?;
    if overlaps(&change.txn, change.signup.person_id, &change.activity).await? {
        return change.refuse(R::OverlappingSignup).await;
    }
    change
        .move_to(SignupStatus::Approved, "approve_signup", Vec::new())
        .await
}

/// The volunteer (or the organiser) cancels a sign-up before the sign-up deadline. When it held
/// a place, the first waitlisted volunteer moves up in the same transaction.
pub async fn cancel_signup(
    db: &Db,
    principal: &Principal,
    signup_id: i64,
) -> Result<SignupOutcome, ApiError> {
    use VolunteeringRefusal as R;
    principal.require(Scope::VolunteeringWrite)?;
    let change = SignupChange::begin(db, principal, signup_id).await?;
    let own = principal.person_id == Some(change.signup.person_id);
    if !own
        && !acts_for(
            principal,
            change.activity.organization_id,
            ORGANISATION_ADMINS,
        )
    {
        return change.refuse(R::NotSignupHolder).await;
    }
    if !CANCELLABLE.contains(&change.signup.status) {
        return change.refuse(R::SignupNotCancellable).await;
    }
    if Utc::now() >= change.activity.signup_closes_at {
        return change.refuse(R::CancelDeadlinePassed).await;
    }
    let freed = change.signup.status == SignupStatus::Approved;
    let activity = change.activity.clone();
    let actor = Actor::from(principal);
    let changed = change
        .write(SignupStatus::Cancelled, "cancel_signup", Vec::new())
        .await?;
    if freed {
        promote_waitlisted(&changed.txn, &actor, &activity).await?;
    }
    changed.commit().await
}

/// Gives a freed place to the longest-waiting volunteer who holds no overlapping place.
pub(super) async fn promote_waitlisted(
    txn: &DatabaseTransaction,
    actor: &Actor,
    activity: &volunteer_activity::Model,
) -> Result<(), DbErr> {
    let waiting = activity_signup::Entity::find()
        .filter(activity_signup::Column::ActivityId.eq(activity.id))
        .filter(activity_signup::Column::Status.eq(SignupStatus::Waitlisted))
        .order_by_asc(activity_signup::Column::CreatedAt)
        .order_by_asc(activity_signup::Column::Id)
        .all(txn)
        .await?;
    for candidate in waiting {
        lock_owner::<person::Entity>(txn, candidate.person_id).await?;
        if overlaps(txn, candidate.person_id, activity).await? {
            continue;
        }
        activity_signup::Entity::update_many()
            .col_expr(
                activity_signup::Column::Status,
                Expr::value(SignupStatus::Approved),
            )
            .col_expr(activity_signup::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(activity_signup::Column::Id.eq(candidate.id))
            .exec(txn)
            .await?;
        return Transition::new(
            "promote_waitlisted",
            "activity_signup",
            candidate.id,
            SignupStatus::Waitlisted,
            SignupStatus::Approved,
        )
        .record(txn, actor)
        .await;
    }
    Ok(())
}

/// One change of one sign-up, in its write transaction, with its activity locked.
pub(super) struct SignupChange<'a> {
    pub(super) txn: DatabaseTransaction,
    pub(super) principal: &'a Principal,
    pub(super) activity: volunteer_activity::Model,
    pub(super) signup: activity_signup::Model,
}

impl<'a> SignupChange<'a> {
    /// Opens the transaction, reads a sign-up the caller may see and locks its activity: every
    /// change of a sign-up may change the count of places taken.
    pub(super) async fn begin(
        db: &Db,
        principal: &'a Principal,
        signup_id: i64,
    ) -> Result<Self, ApiError> {
        let txn = begin_write(db).await?;
        let signup = find_visible::<activity_signup::Entity>(&txn, principal, signup_id).await?;
        let activity = lock::<volunteer_activity::Entity>(&txn, signup.activity_id).await?;
        Ok(Self {
            txn,
            principal,
            activity,
            signup,
        })
    }

    pub(super) async fn refuse(
        self,
        refusal: VolunteeringRefusal,
    ) -> Result<SignupOutcome, ApiError> {
        self.txn.rollback().await?;
        Ok(Outcome::refused(Some(self.signup), refusal))
    }

    /// Checks a volunteer in or out at `at`; checking out produces the pending service record.
    pub(super) async fn attend(
        self,
        purpose: CodePurpose,
        at: DateTime<Utc>,
        rules: VolunteeringRules,
    ) -> Result<SignupOutcome, ApiError> {
        use VolunteeringRefusal as R;
        let activity = &self.activity;
        if !UNDERWAY.contains(&activity.status) {
            return self.refuse(R::NotUnderway).await;
        }
        if at > Utc::now() {
            return self.refuse(R::InvalidAttendanceTime).await;
        }
        if at < activity.starts_at - rules.tolerance || at > activity.ends_at + rules.tolerance {
            return self.refuse(R::OutsideWindow).await;
        }
        match purpose {
            CodePurpose::CheckIn => {
                if self.signup.status != SignupStatus::Approved {
                    return self.refuse(R::SignupNotApproved).await;
                }
                let also = vec![(activity_signup::Column::CheckedInAt, Expr::value(at))];
                self.move_to(SignupStatus::CheckedIn, "check_in", also)
                    .await
            }
            CodePurpose::CheckOut => {
                let checked_in = match (self.signup.status, self.signup.checked_in_at) {
                    (SignupStatus::CheckedIn, Some(checked_in)) => checked_in,
                    _ => return self.refuse(R::NotCheckedIn).await,
                };
                if at <= checked_in {
                    return self.refuse(R::InvalidAttendanceTime).await;
                }
                let minutes = rules.service_minutes(activity, checked_in, at);
                let activity = activity.clone();
                let person = self.signup.person_id;
                let also = vec![(activity_signup::Column::CheckedOutAt, Expr::value(at))];
                let changed = self
                    .write(SignupStatus::CheckedOut, "check_out", also)
                    .await?;
                // Less than one rounding unit earns no record: a record credits time.
                if let Ok(minutes @ 1..) = i32::try_from(minutes) {
                    let record = record_service(
                        &changed.txn,
                        &activity,
                        changed.signup_id,
                        person,
                        checked_in,
                        at,
                        minutes,
                    )
                    .await?;
                    Transition::created(
                        "record_service",
                        "service_record",
                        record.id,
                        RecordStatus::Pending,
                    )
                    .record(&changed.txn, &Actor::from(changed.principal))
                    .await?;
                }
                changed.commit().await
            }
        }
    }

    pub(super) async fn move_to(
        self,
        to: SignupStatus,
        action: &'static str,
        also: Vec<(activity_signup::Column, sea_orm::sea_query::SimpleExpr)>,
    ) -> Result<SignupOutcome, ApiError> {
        self.write(to, action, also).await?.commit().await
    }

    /// Moves the sign-up to `to` if nobody changed it since it was read, and records it.
    pub(super) async fn write(
        self,
        to: SignupStatus,
        action: &'static str,
        also: Vec<(activity_signup::Column, sea_orm::sea_query::SimpleExpr)>,
    ) -> Result<ChangedSignup<'a>, ApiError> {
        let mut update = activity_signup::Entity::update_many()
            .col_expr(activity_signup::Column::Status, Expr::value(to))
            .col_expr(activity_signup::Column::UpdatedAt, Expr::value(Utc::now()));
        for (column, value) in also {
            update = update.col_expr(column, value);
        }
        let updated = update
            .filter(activity_signup::Column::Id.eq(self.signup.id))
            .filter(activity_signup::Column::Status.eq(self.signup.status))
            .exec(&self.txn)
            .await?;
        if updated.rows_affected != 1 {
            return Err(ApiError::Conflict(
                "the sign-up changed meanwhile; read it again and retry".to_owned(),
            ));
        }
        Transition::new(
            action,
            "activity_signup",
            self.signup.id,
            self.signup.status,
            to,
        )
        .record(&self.txn, &Actor::from(self.principal))
        .await?;
        Ok(ChangedSignup {
            txn: self.txn,
            principal: self.principal,
            signup_id: self.signup.id,
        })
    }
}

/// A sign-up whose change is written but not yet committed.
pub(super) struct ChangedSignup<'a> {
    txn: DatabaseTransaction,
    principal: &'a Principal,
    signup_id: i64,
}

impl ChangedSignup<'_> {
    async fn commit(self) -> Result<SignupOutcome, ApiError> {
        let signup = reload::<activity_signup::Entity>(&self.txn, self.signup_id).await?;
        self.txn.commit().await?;
        Ok(Outcome::done(signup))
    }
}

/// The person's sign-up for the activity that is not cancelled, if any.
pub(super) async fn live_signup(
    txn: &impl ConnectionTrait,
    activity_id: i64,
    person_id: i64,
) -> Result<Option<activity_signup::Model>, DbErr> {
    activity_signup::Entity::find()
        .filter(activity_signup::Column::ActivityId.eq(activity_id))
        .filter(activity_signup::Column::PersonId.eq(person_id))
        .filter(activity_signup::Column::Status.ne(SignupStatus::Cancelled))
        .one(txn)
        .await
}

/// The places of the activity taken.
pub(super) async fn places_taken(
    txn: &impl ConnectionTrait,
    activity_id: i64,
) -> Result<u64, DbErr> {
    activity_signup::Entity::find()
        .filter(activity_signup::Column::ActivityId.eq(activity_id))
        .filter(activity_signup::Column::Status.is_in(HOLDING))
        .count(txn)
        .await
}

/// Whether the person holds a place in another (not cancelled) activity whose time overlaps
/// this one's.
pub(super) async fn overlaps(
    txn: &impl ConnectionTrait,
    person_id: i64,
    activity: &volunteer_activity::Model,
) -> Result<bool, DbErr> {
    let overlapping = Query::select()
        .column(volunteer_activity::Column::Id)
        .from(volunteer_activity::Entity)
        .and_where(volunteer_activity::Column::Id.ne(activity.id))
        .and_where(volunteer_activity::Column::Status.ne(ActivityStatus::Cancelled))
        .and_where(volunteer_activity::Column::StartsAt.lt(activity.ends_at))
        .and_where(volunteer_activity::Column::EndsAt.gt(activity.starts_at))
        .to_owned();
    let held = activity_signup::Entity::find()
        .filter(activity_signup::Column::PersonId.eq(person_id))
        .filter(activity_signup::Column::Status.is_in(HOLDING))
        .filter(activity_signup::Column::ActivityId.in_subquery(overlapping))
        .count(txn)
        .await?;
    Ok(held > 0)
}
