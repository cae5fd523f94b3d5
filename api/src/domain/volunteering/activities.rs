//! Activities, from draft to confirmed records: drafting (every broken rule reported at once),
//! publishing (partners' activities through the community's approval), recruitment, start, end
//! (volunteers who never came become no-shows) and cancellation before the start.

use chrono::{DateTime, Utc};
use entities::activity_signup::{self, SignupStatus};
use entities::organization::{OrganizationKind, ServiceCategory};
use entities::service_record::{self, RecordStatus};
use entities::volunteer_activity::{self, ActivityStatus};
use entities::volunteer_team::VolunteerArea;
use entities::{admin_unit, organization, person, service_centre, volunteer_team};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

use crate::auth::{Principal, Scope};
use crate::domain::audit::{Actor, Transition};
use crate::domain::outcome::{Outcome, refuse};
use crate::domain::permissions::{
    COMMUNITY_OR_ABOVE, ORGANISATION_ADMINS, acts_for, organizing_organization, staff_covers,
};
use crate::domain::rows::{find_visible, lock_owners, reload};
use crate::domain::transaction::{Db, begin_write};
use crate::error::ApiError;

use super::points::credit_points;
use super::rules::{ActivityOutcome, CANCELLABLE, VolunteeringRefusal, VolunteeringRules};

/// A new activity, as its organiser drafts it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewActivity {
    pub community_id: i64,
    pub team_id: Option<i64>,
    pub title: String,
    pub description: Option<String>,
    pub area: Option<VolunteerArea>,
    pub service_category: Option<ServiceCategory>,
    pub centre_id: Option<i64>,
    pub place: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub signup_opens_at: DateTime<Utc>,
    pub signup_closes_at: DateTime<Utc>,
    pub capacity: i32,
    pub self_scheduling: bool,
}

/// A step of an activity's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActivityStep {
    /// The organiser publishes a draft; a partner's activity goes to the community for approval.
    Publish,
    /// Community staff approve a partner's activity: it is published.
    Approve,
    /// Community staff return a partner's activity to its organiser as a draft.
    Return,
    /// The organiser stops taking sign-ups.
    CloseRecruitment,
    /// The organiser starts the activity.
    Start,
    /// The organiser ends the activity; volunteers who never came are marked no-shows.
    End,
    /// The organiser confirms the activity's service records.
    ConfirmRecords,
    /// The organiser cancels the activity before it starts; its sign-ups are cancelled.
    Cancel,
}

impl ActivityStep {
    fn action(self) -> &'static str {
        match self {
            Self::Publish => "publish_volunteer_activity",
            Self::Approve => "approve_volunteer_activity",
            Self::Return => "return_volunteer_activity",
            Self::CloseRecruitment => "close_activity_recruitment",
            Self::Start => "start_volunteer_activity",
            Self::End => "end_volunteer_activity",
            Self::ConfirmRecords => "confirm_activity_records",
            Self::Cancel => "cancel_volunteer_activity",
        }
    }
}

/// Drafts an activity for the caller's organisation. Inputs that break a rule are all reported.
pub async fn create_activity(
    db: &Db,
    principal: &Principal,
    new: NewActivity,
) -> Result<ActivityOutcome, ApiError> {
    principal.require(Scope::VolunteeringWrite)?;
    let Some(organization_id) = organizing_organization(principal) else {
        return Ok(Outcome::refused(None, VolunteeringRefusal::NotOrganizer));
    };
    let txn = begin_write(db).await?;
    let refusals = invalid_activity(&txn, organization_id, &new).await?;
    if !refusals.is_empty() {
        txn.rollback().await?;
        return Ok(Outcome {
            changed: None,
            refusals,
        });
    }
    let now = Utc::now();
    let activity = volunteer_activity::ActiveModel {
        organization_id: Set(organization_id),
        team_id: Set(new.team_id),
        community_id: Set(new.community_id),
        title: Set(new.title),
        description: Set(new.description),
        area: Set(new.area),
        service_category: Set(new.service_category),
        centre_id: Set(new.centre_id),
        place: Set(new.place),
        starts_at: Set(new.starts_at),
        ends_at: Set(new.ends_at),
        signup_opens_at: Set(new.signup_opens_at),
        signup_closes_at: Set(new.signup_closes_at),
        capacity: Set(new.capacity),
        self_scheduling: Set(new.self_scheduling),
        status: Set(ActivityStatus::Draft),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    Transition::created(
        "create_volunteer_activity",
        "volunteer_activity",
        activity.id,
        ActivityStatus::Draft,
    )
    .record(&txn, &Actor::from(principal))
    .await?;
    txn.commit().await?;
    Ok(Outcome::done(activity))
}

/// Every rule a new activity breaks.
pub(super) async fn invalid_activity(
    txn: &DatabaseTransaction,
    organization_id: i64,
    new: &NewActivity,
) -> Result<Vec<VolunteeringRefusal>, DbErr> {
    use VolunteeringRefusal as R;
    let mut refusals = Vec::new();
    if new.starts_at <= Utc::now() {
        refusals.push(R::StartsInPast);
    }
    if new.ends_at <= new.starts_at {
        refusals.push(R::EndsBeforeStart);
    }
    if new.signup_closes_at <= new.signup_opens_at {
        refusals.push(R::SignupClosesBeforeOpening);
    } else if new.signup_closes_at > new.ends_at {
        refusals.push(R::SignupClosesAfterEnd);
    }
    if new.capacity < 1 {
        refusals.push(R::InvalidCapacity);
    }
    let place = new
        .place
        .as_deref()
        .is_some_and(|place| !place.trim().is_empty());
    if new.centre_id.is_none() && !place {
        refusals.push(R::PlaceRequired);
    }
    if new.area.is_none() && new.service_category.is_none() {
        refusals.push(R::CategoryRequired);
    }
    let community = admin_unit::Entity::find_by_id(new.community_id)
        .one(txn)
        .await?;
    if community.is_none_or(|unit| unit.level != admin_unit::UnitLevel::Community) {
        refusals.push(R::NotACommunity);
    }
    if let Some(centre_id) = new.centre_id {
        let centre = service_centre::Entity::find_by_id(centre_id)
            .one(txn)
            .await?;
        if centre.is_none_or(|centre| centre.community_id != new.community_id) {
            refusals.push(R::CentreNotInCommunity);
        }
    }
    if let Some(team_id) = new.team_id {
        let team = volunteer_team::Entity::find_by_id(team_id).one(txn).await?;
        if team.is_none_or(|team| team.organization_id != organization_id) {
            refusals.push(R::TeamNotOwned);
        }
    }
    Ok(refusals)
}

/// Moves an activity one step on its way, if the caller may and its state allows.
pub async fn move_activity(
    db: &Db,
    principal: &Principal,
    activity_id: i64,
    step: ActivityStep,
    rules: VolunteeringRules,
) -> Result<ActivityOutcome, ApiError> {
    use ActivityStatus as S;
    use VolunteeringRefusal as R;
    principal.require(Scope::VolunteeringWrite)?;
    let txn = begin_write(db).await?;
    let activity = find_visible::<volunteer_activity::Entity>(&txn, principal, activity_id).await?;
    let may = match step {
        ActivityStep::Approve | ActivityStep::Return => {
            staff_covers(&txn, principal, COMMUNITY_OR_ABOVE, activity.community_id).await?
        }
        _ => acts_for(principal, activity.organization_id, ORGANISATION_ADMINS),
    };
    if !may {
        let refusal = match step {
            ActivityStep::Approve | ActivityStep::Return => R::NotPermitted,
            _ => R::NotOrganizer,
        };
        return refuse(txn, Some(activity), refusal).await;
    }
    let now = Utc::now();
    let before_start = matches!(
        activity.status,
        S::Draft | S::PendingApproval | S::Published | S::RecruitmentClosed
    );
    let to = match (step, activity.status) {
        (ActivityStep::Publish, S::Draft) if needs_approval(&txn, &activity).await? => {
            S::PendingApproval
        }
        (ActivityStep::Publish, S::Draft) => S::Published,
        (ActivityStep::Publish, _) => return refuse(txn, Some(activity), R::NotDraft).await,
        (ActivityStep::Approve, S::PendingApproval) => S::Published,
        (ActivityStep::Return, S::PendingApproval) => S::Draft,
        (ActivityStep::Approve | ActivityStep::Return, _) => {
            return refuse(txn, Some(activity), R::NotPendingApproval).await;
        }
        (ActivityStep::CloseRecruitment, S::Published) => S::RecruitmentClosed,
        (ActivityStep::CloseRecruitment, _) => {
            return refuse(txn, Some(activity), R::NotPublished).await;
        }
        (ActivityStep::Start, S::Published | S::RecruitmentClosed)
            if now < activity.starts_at - rules.tolerance =>
        {
            return refuse(txn, Some(activity), R::TooEarly).await;
        }
        (ActivityStep::Start, S::Published | S::RecruitmentClosed) => S::InProgress,
        (ActivityStep::Start, _) => return refuse(txn, Some(activity), R::NotScheduled).await,
        (ActivityStep::End, S::InProgress) => S::Ended,
        (ActivityStep::End, _) => return refuse(txn, Some(activity), R::NotInProgress).await,
        (ActivityStep::ConfirmRecords, S::Ended) => S::RecordsConfirmed,
        (ActivityStep::ConfirmRecords, _) => return refuse(txn, Some(activity), R::NotEnded).await,
        (ActivityStep::Cancel, _) if !before_start => {
            return refuse(txn, Some(activity), R::NotCancellable).await;
        }
        (ActivityStep::Cancel, _) if now >= activity.starts_at => {
            return refuse(txn, Some(activity), R::AlreadyStarted).await;
        }
        (ActivityStep::Cancel, _) => S::Cancelled,
    };
    let updated = volunteer_activity::Entity::update_many()
        .col_expr(volunteer_activity::Column::Status, Expr::value(to))
        .col_expr(volunteer_activity::Column::UpdatedAt, Expr::value(now))
        .filter(volunteer_activity::Column::Id.eq(activity.id))
        .filter(volunteer_activity::Column::Status.eq(activity.status))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(ApiError::Conflict(
            "the activity changed meanwhile; read it again and retry".to_owned(),
        ));
    }
    let actor = Actor::from(principal);
    match step {
        ActivityStep::End => {
            settle_signups(
                &txn,
                &actor,
                activity.id,
                &[SignupStatus::Approved],
                SignupStatus::NoShow,
                "mark_no_show",
            )
            .await?;
        }
        ActivityStep::Cancel => {
            settle_signups(
                &txn,
                &actor,
                activity.id,
                &CANCELLABLE,
                SignupStatus::Cancelled,
                "cancel_signup_with_activity",
            )
            .await?;
        }
        ActivityStep::ConfirmRecords => {
            confirm_pending_records(&txn, &actor, activity.id, rules).await?;
        }
        _ => {}
    }
    Transition::new(
        step.action(),
        "volunteer_activity",
        activity.id,
        activity.status,
        to,
    )
    .record(&txn, &actor)
    .await?;
    let activity = reload::<volunteer_activity::Entity>(&txn, activity.id).await?;
    txn.commit().await?;
    Ok(Outcome::done(activity))
}

/// Moves every sign-up of the activity in one of `from` to `to`, with an audit record each.
pub(super) async fn settle_signups(
    txn: &DatabaseTransaction,
    actor: &Actor,
    activity_id: i64,
    from: &[SignupStatus],
    to: SignupStatus,
    action: &'static str,
) -> Result<(), DbErr> {
    // Locked in id order: a volunteer cancelling at this moment waits, and then finds their
    // sign-up settled (or this finds it cancelled), never both.
    let signups = activity_signup::Entity::find()
        .filter(activity_signup::Column::ActivityId.eq(activity_id))
        .filter(activity_signup::Column::Status.is_in(from.iter().copied()))
        .order_by_asc(activity_signup::Column::Id)
        .lock_exclusive()
        .all(txn)
        .await?;
    if signups.is_empty() {
        return Ok(());
    }
    activity_signup::Entity::update_many()
        .col_expr(activity_signup::Column::Status, Expr::value(to))
        .col_expr(activity_signup::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(activity_signup::Column::Id.is_in(signups.iter().map(|signup| signup.id)))
        .filter(activity_signup::Column::Status.is_in(from.iter().copied()))
        .exec(txn)
        .await?;
    let transitions = signups
        .iter()
        .map(|signup| Transition::new(action, "activity_signup", signup.id, signup.status, to))
        .collect();
    Transition::record_all(transitions, txn, actor).await
}

/// Confirms every pending service record of the activity.
pub(super) async fn confirm_pending_records(
    txn: &DatabaseTransaction,
    actor: &Actor,
    activity_id: i64,
    rules: VolunteeringRules,
) -> Result<(), DbErr> {
    // Locked in id order: a record confirmed on its own at this moment waits, and then finds
    // it confirmed here (or this finds it confirmed there), so it is credited once.
    let pending = service_record::Entity::find()
        .filter(service_record::Column::ActivityId.eq(activity_id))
        .filter(service_record::Column::Status.eq(RecordStatus::Pending))
        .order_by_asc(service_record::Column::Id)
        .lock_exclusive()
        .all(txn)
        .await?;
    if pending.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    service_record::Entity::update_many()
        .col_expr(service_record::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(
            service_record::Column::Status,
            Expr::value(RecordStatus::Confirmed),
        )
        .col_expr(service_record::Column::ConfirmedAt, Expr::value(now))
        .filter(service_record::Column::Id.is_in(pending.iter().map(|record| record.id)))
        .filter(service_record::Column::Status.eq(RecordStatus::Pending))
        .exec(txn)
        .await?;
    let transitions = pending
        .iter()
        .map(|record| {
            Transition::new(
                "confirm_service_record",
                "service_record",
                record.id,
                RecordStatus::Pending,
                RecordStatus::Confirmed,
            )
        })
        .collect();
    Transition::record_all(transitions, txn, actor).await?;
    // Every volunteer's balance at once, in id order, so that two activities confirmed
    // together wait for each other instead of deadlocking over shared volunteers.
    let volunteers: Vec<i64> = pending.iter().map(|record| record.person_id).collect();
    lock_owners::<person::Entity>(txn, &volunteers).await?;
    for record in &pending {
        credit_points(txn, rules, record).await?;
    }
    Ok(())
}

/// Partners' activities need the community's approval; the district's own bodies (community
/// committees and departments) publish directly.
pub(super) async fn needs_approval(
    txn: &DatabaseTransaction,
    activity: &volunteer_activity::Model,
) -> Result<bool, DbErr> {
    let organizer = organization::Entity::find_by_id(activity.organization_id)
        .one(txn)
        .await?;
    Ok(!organizer.is_some_and(|organizer| {
        matches!(
            organizer.kind,
            OrganizationKind::Community | OrganizationKind::Department
        )
    }))
}
