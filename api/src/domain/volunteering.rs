//! Volunteering: activities from draft to confirmed records, sign-ups whose capacity holds under
//! concurrency, attendance, and the service records it produces. Every change runs in one write
//! transaction with its audit record; a change the state or the caller's role does not allow is
//! refused with a stable code and changes nothing.

use chrono::{DateTime, Duration, Utc};
use entities::activity_signup::{self, SignupStatus};
use entities::checkin_code::{self, CodePurpose};
use entities::organization::{OrganizationKind, ServiceCategory};
use entities::service_certificate::{self, CertificateStatus};
use entities::service_record::{self, RecordStatus};
use entities::volunteer_activity::{self, ActivityStatus};
use entities::volunteer_team::VolunteerArea;
use entities::{admin_unit, organization, party_member, person, service_centre, volunteer_team};
use entities::{certificate_record, household, points_entry};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

use super::audit::{Actor, Transition};
use super::calendar;
use super::outcome::{Outcome, refusals, refuse};
use super::permissions::{
    COMMUNITY_OR_ABOVE, ORGANISATION_ADMINS, acts_for, organizing_organization, staff_covers,
};
use super::rows::{find_visible, lock, lock_visible, reload};
use super::scope::Scoped;
use super::transaction::begin_write;
use crate::auth::secret::{digest, random_token};
use crate::auth::{Principal, PrincipalKind, Scope};
use crate::config::Rounding;
use crate::error::ApiError;

/// The attendance and hours rules, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct VolunteeringRules {
    /// How long before the start and after the end attendance may be recorded; a record never
    /// exceeds the scheduled span plus this.
    pub tolerance: Duration,
    pub rounding: Rounding,
    /// The unit, in minutes, service time is rounded to.
    pub rounding_unit: i64,
    /// How long an attendance code stays valid.
    pub code_lifetime: Duration,
    /// Points credited per confirmed hour, pro rata.
    pub points_per_hour: i64,
}

impl VolunteeringRules {
    /// The minutes credited for attendance from `checked_in` to `checked_out` at `activity`:
    /// rounded by the configured rule, and never more than the scheduled span plus tolerance.
    pub fn service_minutes(
        &self,
        activity: &volunteer_activity::Model,
        checked_in: DateTime<Utc>,
        checked_out: DateTime<Utc>,
    ) -> i64 {
        let served = (checked_out - checked_in).num_minutes();
        let unit = self.rounding_unit.max(1);
        let rounded = match self.rounding {
            Rounding::Down => served / unit * unit,
            Rounding::Nearest => (served + unit / 2) / unit * unit,
            Rounding::Up => (served + unit - 1) / unit * unit,
        };
        rounded.min(self.longest_service(activity))
    }

    /// The points `minutes` of confirmed service are worth (rounded towards zero).
    fn points_for(&self, minutes: i32) -> i64 {
        i64::from(minutes) * self.points_per_hour / 60
    }

    /// The most minutes one attendance of `activity` can be worth.
    fn longest_service(&self, activity: &volunteer_activity::Model) -> i64 {
        (activity.ends_at - activity.starts_at + self.tolerance).num_minutes()
    }
}

refusals! {
    /// Why a volunteering change was refused.
    pub enum VolunteeringRefusal for "Volunteering" {
        EndsBeforeStart => INVALID_WINDOW @ "endsAt": "the activity must end after it starts",
        StartsInPast => INVALID_WINDOW @ "startsAt": "the activity must start in the future",
        SignupClosesBeforeOpening => INVALID_SIGNUP_WINDOW @ "signupClosesAt":
            "sign-ups must close after they open",
        SignupClosesAfterEnd => INVALID_SIGNUP_WINDOW @ "signupClosesAt":
            "sign-ups must close by the activity's end",
        InvalidCapacity => INVALID_CAPACITY @ "capacity": "the capacity is at least 1",
        PlaceRequired => PLACE_REQUIRED @ "place": "name a place or one of the community's centres",
        CategoryRequired => CATEGORY_REQUIRED @ "area":
            "name a volunteer area or a professional service category",
        NotACommunity => NOT_A_COMMUNITY @ "communityId": "activities take place in a community",
        CentreNotInCommunity => CENTRE_NOT_IN_COMMUNITY @ "centreId":
            "the centre is not in the activity's community",
        TeamNotOwned => TEAM_NOT_OWNED @ "teamId":
            "the team does not belong to the organising organisation",
        NotOrganizer => NOT_ORGANIZER: "only the organising organisation may do this",
        NotPermitted => NOT_PERMITTED:
            "only staff of the activity's community (or above) may do this",
        NotDraft => ACTIVITY_NOT_DRAFT @ "activityId": "the activity is not a draft",
        NotPendingApproval => ACTIVITY_NOT_PENDING_APPROVAL @ "activityId":
            "the activity is not waiting for approval",
        NotPublished => ACTIVITY_NOT_PUBLISHED @ "activityId": "the activity is not published",
        NotScheduled => ACTIVITY_NOT_SCHEDULED @ "activityId":
            "the activity is not scheduled to start",
        NotInProgress => ACTIVITY_NOT_IN_PROGRESS @ "activityId": "the activity is not in progress",
        NotEnded => ACTIVITY_NOT_ENDED @ "activityId": "the activity has not ended",
        AlreadyStarted => ACTIVITY_ALREADY_STARTED @ "activityId":
            "the activity has started; it can no longer be cancelled",
        NotCancellable => ACTIVITY_NOT_CANCELLABLE @ "activityId":
            "the activity is over or cancelled; it can no longer be cancelled",
        TooEarly => TOO_EARLY @ "activityId": "it is too early to start the activity",
        SignupClosed => SIGNUP_CLOSED @ "activityId": "the activity is not taking sign-ups now",
        NotAVolunteer => NOT_A_VOLUNTEER: "only a person can sign up, for themself",
        AlreadySignedUp => ALREADY_SIGNED_UP @ "activityId":
            "the volunteer has already signed up for this activity",
        OverlappingSignup => OVERLAPPING_SIGNUP @ "activityId":
            "the volunteer holds a place in another activity at an overlapping time",
        ActivityFull => ACTIVITY_FULL @ "activityId": "every place is taken",
        NotSignupHolder => NOT_SIGNUP_HOLDER @ "signupId":
            "only the volunteer or the organiser may do this",
        SignupNotPending => SIGNUP_NOT_PENDING @ "signupId":
            "the sign-up is not waiting for approval",
        SignupNotCancellable => SIGNUP_NOT_CANCELLABLE @ "signupId":
            "the sign-up cannot be cancelled any more",
        CancelDeadlinePassed => CANCEL_DEADLINE_PASSED @ "signupId":
            "the sign-up deadline has passed",
        SignupNotApproved => SIGNUP_NOT_APPROVED @ "signupId":
            "the volunteer holds no approved place",
        NotCheckedIn => NOT_CHECKED_IN @ "signupId": "the volunteer has not checked in",
        NotUnderway => ACTIVITY_NOT_UNDERWAY @ "activityId":
            "attendance is recorded only while an activity is published, under way or just ended",
        OutsideWindow => OUTSIDE_ACTIVITY_WINDOW @ "at":
            "the time lies outside the activity's window and its tolerance",
        InvalidAttendanceTime => INVALID_ATTENDANCE_TIME @ "at":
            "check-out must follow check-in, and neither may lie in the future",
        InvalidCode => INVALID_CODE @ "code": "the attendance code is wrong or has expired",
        NotRecordingOrganization => NOT_RECORDING_ORGANIZATION @ "recordId":
            "only the recording organisation may do this",
        RecordConfirmed => RECORD_CONFIRMED @ "recordId": "the record is already confirmed",
        RecordNotConfirmed => RECORD_NOT_CONFIRMED @ "recordId":
            "only confirmed records are corrected; a pending one is still the organisation's to confirm",
        EmptyCorrection => EMPTY_CORRECTION @ "minutes":
            "a correction changes the minutes by a non-zero amount",
        NegativeTotal => NEGATIVE_TOTAL @ "minutes":
            "the correction would make the service's minutes negative",
        ExceedsSchedule => EXCEEDS_SCHEDULE @ "minutes":
            "the correction would credit more than the scheduled span plus tolerance",
        InvalidPoints => INVALID_POINTS @ "points": "redeem a positive number of points",
        InsufficientPoints => INSUFFICIENT_POINTS @ "points":
            "the volunteer has fewer points than that",
        InvalidPeriod => INVALID_PERIOD @ "to": "the period must end after it starts",
        NoConfirmedService => NO_CONFIRMED_SERVICE @ "volunteerId":
            "the volunteer has no confirmed service with the organisation in the period",
    }
}

pub type ActivityOutcome = Outcome<volunteer_activity::Model, VolunteeringRefusal>;
pub type SignupOutcome = Outcome<activity_signup::Model, VolunteeringRefusal>;
pub type RecordOutcome = Outcome<service_record::Model, VolunteeringRefusal>;
pub type PointsOutcome = Outcome<points_entry::Model, VolunteeringRefusal>;

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

/// Sign-ups that hold one of an activity's places.
const HOLDING: [SignupStatus; 3] = [
    SignupStatus::Approved,
    SignupStatus::CheckedIn,
    SignupStatus::CheckedOut,
];
/// Sign-ups a volunteer (or the organiser) may still cancel.
const CANCELLABLE: [SignupStatus; 3] = [
    SignupStatus::Applied,
    SignupStatus::Approved,
    SignupStatus::Waitlisted,
];
/// Activity states in which attendance is recorded.
const UNDERWAY: [ActivityStatus; 4] = [
    ActivityStatus::Published,
    ActivityStatus::RecruitmentClosed,
    ActivityStatus::InProgress,
    ActivityStatus::Ended,
];

/// Drafts an activity for the caller's organisation. Inputs that break a rule are all reported.
pub async fn create_activity(
    db: &DatabaseConnection,
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
async fn invalid_activity(
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
    db: &DatabaseConnection,
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
async fn settle_signups(
    txn: &DatabaseTransaction,
    actor: &Actor,
    activity_id: i64,
    from: &[SignupStatus],
    to: SignupStatus,
    action: &'static str,
) -> Result<(), DbErr> {
    let signups = activity_signup::Entity::find()
        .filter(activity_signup::Column::ActivityId.eq(activity_id))
        .filter(activity_signup::Column::Status.is_in(from.iter().copied()))
        .all(txn)
        .await?;
    if signups.is_empty() {
        return Ok(());
    }
    activity_signup::Entity::update_many()
        .col_expr(activity_signup::Column::Status, Expr::value(to))
        .col_expr(activity_signup::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(activity_signup::Column::Id.is_in(signups.iter().map(|signup| signup.id)))
        .exec(txn)
        .await?;
    let transitions = signups
        .iter()
        .map(|signup| Transition::new(action, "activity_signup", signup.id, signup.status, to))
        .collect();
    Transition::record_all(transitions, txn, actor).await
}

/// Confirms every pending service record of the activity.
async fn confirm_pending_records(
    txn: &DatabaseTransaction,
    actor: &Actor,
    activity_id: i64,
    rules: VolunteeringRules,
) -> Result<(), DbErr> {
    let pending = service_record::Entity::find()
        .filter(service_record::Column::ActivityId.eq(activity_id))
        .filter(service_record::Column::Status.eq(RecordStatus::Pending))
        .all(txn)
        .await?;
    if pending.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    service_record::Entity::update_many()
        .col_expr(
            service_record::Column::Status,
            Expr::value(RecordStatus::Confirmed),
        )
        .col_expr(service_record::Column::ConfirmedAt, Expr::value(now))
        .filter(service_record::Column::Id.is_in(pending.iter().map(|record| record.id)))
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
    for record in &pending {
        credit_points(txn, rules, record).await?;
    }
    Ok(())
}

/// Signs the calling person up: approved at once when the activity lets volunteers schedule
/// themselves and a place is free, applied (for the organiser to approve) when a place is free
/// otherwise, and waitlisted when every place is taken. The activity row is locked for the
/// count, so concurrent sign-ups never overfill it.
pub async fn sign_up(
    db: &DatabaseConnection,
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
    lock_person(&txn, person).await?;
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
    db: &DatabaseConnection,
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
    lock_person(&change.txn, change.signup.person_id).await?;
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
    db: &DatabaseConnection,
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
async fn promote_waitlisted(
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
        lock_person(txn, candidate.person_id).await?;
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

/// The organiser records a volunteer's check-in or check-out, now or at a time in the past
/// (attendance noted on paper is entered afterwards).
pub async fn record_attendance(
    db: &DatabaseConnection,
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
    db: &DatabaseConnection,
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
    db: &DatabaseConnection,
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

/// The recording organisation confirms a pending service record; from then on it is immutable.
pub async fn confirm_record(
    db: &DatabaseConnection,
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
    db: &DatabaseConnection,
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

/// One change of one sign-up, in its write transaction, with its activity locked.
struct SignupChange<'a> {
    txn: DatabaseTransaction,
    principal: &'a Principal,
    activity: volunteer_activity::Model,
    signup: activity_signup::Model,
}

impl<'a> SignupChange<'a> {
    /// Opens the transaction, reads a sign-up the caller may see and locks its activity: every
    /// change of a sign-up may change the count of places taken.
    async fn begin(
        db: &DatabaseConnection,
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

    async fn refuse(self, refusal: VolunteeringRefusal) -> Result<SignupOutcome, ApiError> {
        self.txn.rollback().await?;
        Ok(Outcome::refused(Some(self.signup), refusal))
    }

    /// Checks a volunteer in or out at `at`; checking out produces the pending service record.
    async fn attend(
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

    async fn move_to(
        self,
        to: SignupStatus,
        action: &'static str,
        also: Vec<(activity_signup::Column, sea_orm::sea_query::SimpleExpr)>,
    ) -> Result<SignupOutcome, ApiError> {
        self.write(to, action, also).await?.commit().await
    }

    /// Moves the sign-up to `to` if nobody changed it since it was read, and records it.
    async fn write(
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
struct ChangedSignup<'a> {
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

/// The pending record of one checked-out attendance, with the volunteer's Party unit at the
/// time (if they are a member), so reports to that unit survive later job changes.
async fn record_service(
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

/// Partners' activities need the community's approval; the district's own bodies (community
/// committees and departments) publish directly.
async fn needs_approval(
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

/// Locks the volunteer's row until the transaction ends (on PostgreSQL; SQLite's writers are
/// serialised already), so that two places of one person are never taken at once and the
/// overlap check sees every place they hold. Activities are always locked before people, so
/// these locks cannot deadlock.
async fn lock_person(txn: &DatabaseTransaction, person_id: i64) -> Result<(), DbErr> {
    person::Entity::find_by_id(person_id)
        .select_only()
        .column(person::Column::Id)
        .lock_exclusive()
        .into_tuple::<i64>()
        .one(txn)
        .await
        .map(drop)
}

/// The person's sign-up for the activity that is not cancelled, if any.
async fn live_signup(
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
async fn places_taken(txn: &impl ConnectionTrait, activity_id: i64) -> Result<u64, DbErr> {
    activity_signup::Entity::find()
        .filter(activity_signup::Column::ActivityId.eq(activity_id))
        .filter(activity_signup::Column::Status.is_in(HOLDING))
        .count(txn)
        .await
}

/// Whether the person holds a place in another (not cancelled) activity whose time overlaps
/// this one's.
async fn overlaps(
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
    db: &DatabaseConnection,
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

/// A certificate as anyone may verify it: no personal data, only what was certified.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Certificate {
    pub certificate: service_certificate::Model,
    /// The services it lists, oldest first.
    pub services: Vec<CertifiedService>,
}

/// One service a certificate lists.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CertifiedService {
    pub activity_title: Option<String>,
    pub area: Option<VolunteerArea>,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    /// Including its corrections.
    pub minutes: i64,
}

pub type CertificateOutcome = Outcome<Certificate, VolunteeringRefusal>;

/// The caller's organisation certifies a volunteer's confirmed service with it in
/// `[from, to)` (by when the service started), corrections included.
pub async fn issue_certificate(
    db: &DatabaseConnection,
    principal: &Principal,
    person_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<CertificateOutcome, ApiError> {
    use VolunteeringRefusal as R;
    principal.require(Scope::VolunteeringWrite)?;
    let refuse = |refusal| Ok(Outcome::refused(None, refusal));
    let Some(organization_id) = organizing_organization(principal) else {
        return refuse(R::NotOrganizer);
    };
    if from >= to {
        return refuse(R::InvalidPeriod);
    }
    let txn = begin_write(db).await?;
    let records = service_record::Entity::find()
        .filter(service_record::Column::PersonId.eq(person_id))
        .filter(service_record::Column::OrganizationId.eq(organization_id))
        .filter(service_record::Column::Status.eq(RecordStatus::Confirmed))
        .filter(service_record::Column::StartedAt.gte(from))
        .filter(service_record::Column::StartedAt.lt(to))
        .order_by_asc(service_record::Column::StartedAt)
        .order_by_asc(service_record::Column::Id)
        .all(&txn)
        .await?;
    let total: i64 = records.iter().map(|record| i64::from(record.minutes)).sum();
    let Ok(total @ 1..) = i32::try_from(total) else {
        txn.rollback().await?;
        return refuse(R::NoConfirmedService);
    };
    let certificate = service_certificate::ActiveModel {
        // 72 random bits: a number cannot be guessed, so verifying by number reveals nothing
        // about certificates one was not shown.
        number: Set(format!("GZ{}", random_token::<9>())),
        person_id: Set(person_id),
        organization_id: Set(organization_id),
        period_from: Set(from),
        period_to: Set(to),
        total_minutes: Set(total),
        status: Set(CertificateStatus::Issued),
        issued_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let listed = records
        .iter()
        .map(|record| certificate_record::ActiveModel {
            certificate_id: Set(certificate.id),
            service_record_id: Set(record.id),
            ..Default::default()
        });
    certificate_record::Entity::insert_many(listed)
        .exec(&txn)
        .await?;
    Transition::created(
        "issue_service_certificate",
        "service_certificate",
        certificate.id,
        CertificateStatus::Issued,
    )
    .record(&txn, &Actor::from(principal))
    .await?;
    let certificate = certificate_view(&txn, certificate).await?;
    txn.commit().await?;
    Ok(Outcome::done(certificate))
}

/// The certificate with this number, as anyone may see it.
pub async fn verify_certificate(
    db: &DatabaseConnection,
    number: &str,
) -> Result<Option<Certificate>, DbErr> {
    let Some(certificate) = service_certificate::Entity::find()
        .filter(service_certificate::Column::Number.eq(number.trim()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    certificate_view(db, certificate).await.map(Some)
}

/// The services behind a certificate: its records, each with its corrections, one line per
/// attendance.
async fn certificate_view(
    db: &impl ConnectionTrait,
    certificate: service_certificate::Model,
) -> Result<Certificate, DbErr> {
    let listed = Query::select()
        .column(certificate_record::Column::ServiceRecordId)
        .from(certificate_record::Entity)
        .and_where(certificate_record::Column::CertificateId.eq(certificate.id))
        .to_owned();
    let records = service_record::Entity::find()
        .filter(service_record::Column::Id.in_subquery(listed))
        .order_by_asc(service_record::Column::StartedAt)
        .order_by_asc(service_record::Column::Id)
        .all(db)
        .await?;
    let activity_ids: Vec<i64> = records
        .iter()
        .filter_map(|record| record.activity_id)
        .collect();
    let activities = volunteer_activity::Entity::find()
        .filter(volunteer_activity::Column::Id.is_in(activity_ids))
        .all(db)
        .await?;
    let mut services: Vec<(i64, CertifiedService)> = Vec::new();
    for record in records {
        let service = record.corrects_id.unwrap_or(record.id);
        if let Some((_, listed)) = services.iter_mut().find(|(id, _)| *id == service) {
            listed.minutes += i64::from(record.minutes);
            continue;
        }
        let activity_title = activities
            .iter()
            .find(|activity| Some(activity.id) == record.activity_id)
            .map(|activity| activity.title.clone());
        services.push((
            service,
            CertifiedService {
                activity_title,
                area: record.area,
                started_at: record.started_at,
                ended_at: record.ended_at,
                minutes: i64::from(record.minutes),
            },
        ));
    }
    Ok(Certificate {
        certificate,
        services: services.into_iter().map(|(_, service)| service).collect(),
    })
}

/// Credits the points a confirmed record is worth to its volunteer's ledger; a negative
/// correction debits them, but never below zero (points already redeemed stay redeemed).
async fn credit_points(
    txn: &DatabaseTransaction,
    rules: VolunteeringRules,
    record: &service_record::Model,
) -> Result<(), DbErr> {
    lock_person(txn, record.person_id).await?;
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
async fn points_balance_of(txn: &impl ConnectionTrait, person_id: i64) -> Result<i32, DbErr> {
    Ok(points_entry::Entity::find()
        .filter(points_entry::Column::PersonId.eq(person_id))
        .order_by_desc(points_entry::Column::Id)
        .one(txn)
        .await?
        .map_or(0, |entry| entry.balance))
}

async fn append_points(
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
    db: &DatabaseConnection,
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
    lock_person(&txn, person_id).await?;
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

/// A volunteer's ledger, newest first, for the volunteer and the staff who may see them.
pub async fn points_ledger(
    db: &DatabaseConnection,
    principal: &Principal,
    person_id: i64,
) -> Result<Option<Vec<points_entry::Model>>, DbErr> {
    let visible = person::Entity::find_by_id(person_id)
        .filter(person::Entity::visible_to(principal))
        .count(db)
        .await?
        > 0;
    if !visible {
        return Ok(None);
    }
    points_entry::Entity::find()
        .filter(points_entry::Column::PersonId.eq(person_id))
        .order_by_desc(points_entry::Column::Id)
        .all(db)
        .await
        .map(Some)
}
