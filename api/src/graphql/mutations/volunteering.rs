use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entities::checkin_code::CodePurpose;
use entities::organization::ServiceCategory;
use entities::volunteer_team::VolunteerArea;

use super::run_once;
use super::user_errors::{UserError, user_errors};
use crate::domain::outcome::Refusal;
use crate::domain::volunteering::{
    self, ActivityOutcome, ActivityStep, CertificateOutcome, NewActivity, PointsOutcome,
    RecordOutcome, SignupOutcome, VolunteeringRefusal, VolunteeringRules,
};
use crate::error::ApiError;
use crate::graphql::context::ContextExt;
use crate::graphql::errors::OrGql;
use crate::graphql::ids::decode_as;
use crate::graphql::types::{
    ActivitySignup, AdminUnit, Person, PointsEntry, ServiceCentre, ServiceCertificate,
    ServiceRecord, VolunteerActivity, VolunteerTeam,
};

/// Draft a volunteer activity for the caller's organisation (its API client with
/// `volunteering:write`, or its organisation or Party unit administrators).
#[derive(Debug, InputObject)]
pub struct CreateVolunteerActivityInput {
    /// The community where it takes place.
    pub community_id: ID,
    /// The organisation's team that runs it, if any.
    pub team_id: Option<ID>,
    /// A short title.
    #[graphql(validator(min_length = 1, max_length = 100))]
    pub title: String,
    /// What volunteers will do.
    #[graphql(validator(max_length = 2000))]
    pub description: Option<String>,
    /// The volunteer area; this or `serviceCategory` is needed.
    pub area: Option<VolunteerArea>,
    /// The professional service category; this or `area` is needed.
    pub service_category: Option<ServiceCategory>,
    /// One of the community's centres; this or `place` is needed.
    pub centre_id: Option<ID>,
    /// Where it takes place, when not in a centre.
    #[graphql(validator(max_length = 200))]
    pub place: Option<String>,
    /// When it starts; in the future.
    pub starts_at: DateTime<Utc>,
    /// When it ends; after the start.
    pub ends_at: DateTime<Utc>,
    /// When sign-ups open.
    pub signup_opens_at: DateTime<Utc>,
    /// When sign-ups close (also the deadline for cancelling); after they open and no later than
    /// the end.
    pub signup_closes_at: DateTime<Utc>,
    /// How many volunteers it takes; at least 1.
    pub capacity: i32,
    /// Whether sign-ups are approved at once, without the organiser.
    #[graphql(default)]
    pub self_scheduling: bool,
    /// Makes retries safe: a retry with the same key and input returns the first result and
    /// changes nothing; the key with another input is a CONFLICT. Keys are the caller's own and
    /// expire after 24 hours.
    pub idempotency_key: Option<String>,
}

/// A change to an activity that needs nothing but the activity.
#[derive(Debug, InputObject)]
pub struct VolunteerActivityInput {
    /// The activity.
    pub activity_id: ID,
    /// Makes retries safe, as for `createVolunteerActivity`.
    pub idempotency_key: Option<String>,
}

/// A change to a sign-up that needs nothing but the sign-up.
#[derive(Debug, InputObject)]
pub struct ActivitySignupInput {
    /// The sign-up.
    pub signup_id: ID,
    /// Makes retries safe, as for `createVolunteerActivity`.
    pub idempotency_key: Option<String>,
}

/// The organiser records a volunteer's attendance.
#[derive(Debug, InputObject)]
pub struct RecordAttendanceInput {
    /// The volunteer's sign-up.
    pub signup_id: ID,
    /// When it happened; now when omitted. Within the activity's window and its tolerance, and
    /// not in the future.
    pub at: Option<DateTime<Utc>>,
    /// Makes retries safe, as for `createVolunteerActivity`.
    pub idempotency_key: Option<String>,
}

/// A volunteer checks themself in or out with the code the organiser shows.
#[derive(Debug, InputObject)]
pub struct AttendWithCodeInput {
    /// The activity.
    pub activity_id: ID,
    /// The code the organiser shows.
    #[graphql(validator(min_length = 1, max_length = 64))]
    pub code: String,
    /// Makes retries safe, as for `createVolunteerActivity`.
    pub idempotency_key: Option<String>,
}

/// Issue the code volunteers check in or out with (the organiser).
#[derive(Debug, InputObject)]
pub struct IssueAttendanceCodeInput {
    /// The activity.
    pub activity_id: ID,
    /// Whether the code checks volunteers in or out.
    pub purpose: CodePurpose,
}

/// A change to a service record that needs nothing but the record.
#[derive(Debug, InputObject)]
pub struct ServiceRecordInput {
    /// The record.
    pub record_id: ID,
    /// Makes retries safe, as for `createVolunteerActivity`.
    pub idempotency_key: Option<String>,
}

/// Correct a confirmed service record with a compensating record (the recording organisation).
#[derive(Debug, InputObject)]
pub struct CorrectServiceRecordInput {
    /// The record to correct (or one of its corrections).
    pub record_id: ID,
    /// Minutes to add (positive) or take away (negative).
    pub minutes: i32,
    /// Why the record is corrected.
    #[graphql(validator(min_length = 1, max_length = 500))]
    pub reason: String,
    /// Makes retries safe, as for `createVolunteerActivity`.
    pub idempotency_key: Option<String>,
}

/// Certify a volunteer's confirmed service with the caller's organisation over a period.
#[derive(Debug, InputObject)]
pub struct IssueServiceCertificateInput {
    /// The volunteer.
    pub volunteer_id: ID,
    /// The start of the period (by when services started).
    pub from: DateTime<Utc>,
    /// The end of the period, exclusive.
    pub to: DateTime<Utc>,
    /// Makes retries safe, as for `createVolunteerActivity`.
    pub idempotency_key: Option<String>,
}

/// The result of issuing a service certificate.
#[derive(SimpleObject)]
pub struct ServiceCertificatePayload {
    /// The certificate issued; null when there are user errors.
    pub certificate: Option<ServiceCertificate>,
    /// Why no certificate was issued; empty when one was.
    pub user_errors: Vec<UserError<VolunteeringRefusal>>,
}

impl From<CertificateOutcome> for ServiceCertificatePayload {
    fn from(outcome: CertificateOutcome) -> Self {
        Self {
            certificate: outcome.changed.map(ServiceCertificate),
            user_errors: user_errors(&outcome.refusals),
        }
    }
}

/// Redeem a volunteer's points (staff of their community or above).
#[derive(Debug, InputObject)]
pub struct RedeemVolunteerPointsInput {
    /// The volunteer.
    pub volunteer_id: ID,
    /// How many points; no more than the balance.
    pub points: i32,
    /// What they were redeemed for.
    #[graphql(validator(min_length = 1, max_length = 500))]
    pub note: String,
    /// Makes retries safe, as for `createVolunteerActivity`.
    pub idempotency_key: Option<String>,
}

/// The result of a redemption.
#[derive(SimpleObject)]
pub struct PointsEntryPayload {
    /// The debit written; null when there are user errors.
    pub entry: Option<PointsEntry>,
    /// Why nothing was redeemed; empty when the points were.
    pub user_errors: Vec<UserError<VolunteeringRefusal>>,
}

impl From<PointsOutcome> for PointsEntryPayload {
    fn from(outcome: PointsOutcome) -> Self {
        Self {
            entry: outcome.changed.map(PointsEntry),
            user_errors: user_errors(&outcome.refusals),
        }
    }
}

/// The result of a change to a volunteer activity.
#[derive(SimpleObject)]
pub struct VolunteerActivityPayload {
    /// The activity as it stands after the mutation (unchanged when there are user errors; null
    /// when a creation was refused).
    pub activity: Option<VolunteerActivity>,
    /// Why the change was refused; empty when it was made.
    pub user_errors: Vec<UserError<VolunteeringRefusal>>,
}

/// The result of a change to a sign-up.
#[derive(SimpleObject)]
pub struct ActivitySignupPayload {
    /// The sign-up as it stands after the mutation (unchanged when there are user errors; null
    /// when a sign-up was refused).
    pub signup: Option<ActivitySignup>,
    /// Why the change was refused; empty when it was made.
    pub user_errors: Vec<UserError<VolunteeringRefusal>>,
}

/// The result of a change to a service record.
#[derive(SimpleObject)]
pub struct ServiceRecordPayload {
    /// The record confirmed, or the compensating record a correction made (the record named,
    /// unchanged, when there are user errors).
    pub record: Option<ServiceRecord>,
    /// Why the change was refused; empty when it was made.
    pub user_errors: Vec<UserError<VolunteeringRefusal>>,
}

/// A freshly issued attendance code.
#[derive(SimpleObject)]
pub struct AttendanceCodePayload {
    /// The code to show volunteers; it is not kept and cannot be read again.
    pub code: Option<String>,
    /// When it stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// Why no code was issued; empty when one was.
    pub user_errors: Vec<UserError<VolunteeringRefusal>>,
}

impl From<ActivityOutcome> for VolunteerActivityPayload {
    fn from(outcome: ActivityOutcome) -> Self {
        Self {
            activity: outcome.changed.map(VolunteerActivity),
            user_errors: user_errors(&outcome.refusals),
        }
    }
}

impl From<SignupOutcome> for ActivitySignupPayload {
    fn from(outcome: SignupOutcome) -> Self {
        Self {
            signup: outcome.changed.map(ActivitySignup),
            user_errors: user_errors(&outcome.refusals),
        }
    }
}

impl From<RecordOutcome> for ServiceRecordPayload {
    fn from(outcome: RecordOutcome) -> Self {
        Self {
            record: outcome.changed.map(ServiceRecord),
            user_errors: user_errors(&outcome.refusals),
        }
    }
}

#[derive(Default)]
pub struct VolunteeringMutation;

#[Object]
impl VolunteeringMutation {
    /// Drafts an activity for the caller's organisation. Every input that breaks a rule is
    /// reported, e.g. `INVALID_WINDOW` at `["input","endsAt"]` when it ends before it starts.
    async fn create_volunteer_activity(
        &self,
        ctx: &Context<'_>,
        input: CreateVolunteerActivityInput,
    ) -> Result<VolunteerActivityPayload> {
        let request = ctx.request()?;
        let new = NewActivity {
            community_id: decode_as::<AdminUnit>("communityId", &input.community_id).or_gql()?,
            team_id: optional::<VolunteerTeam>("teamId", input.team_id.as_ref())?,
            title: input.title,
            description: input.description,
            area: input.area,
            service_category: input.service_category,
            centre_id: optional::<ServiceCentre>("centreId", input.centre_id.as_ref())?,
            place: input.place,
            starts_at: input.starts_at,
            ends_at: input.ends_at,
            signup_opens_at: input.signup_opens_at,
            signup_closes_at: input.signup_closes_at,
            capacity: input.capacity,
            self_scheduling: input.self_scheduling,
        };
        let fingerprint = serde_json::to_value(&new)
            .map_err(|_| ApiError::Internal)
            .or_gql()?;
        let create = volunteering::create_activity(&request.db, &request.principal, new);
        run_once(
            ctx,
            &input.idempotency_key,
            "createVolunteerActivity",
            &fingerprint,
            create,
        )
        .await
    }

    /// Publishes a draft (the organiser). A partner's activity — one not organised by a
    /// community or a department — goes to `PENDING_APPROVAL` for the community's staff.
    async fn publish_volunteer_activity(
        &self,
        ctx: &Context<'_>,
        input: VolunteerActivityInput,
    ) -> Result<VolunteerActivityPayload> {
        step(
            ctx,
            input,
            ActivityStep::Publish,
            "publishVolunteerActivity",
        )
        .await
    }

    /// Approves a partner's activity: it is published (staff of its community or above).
    async fn approve_volunteer_activity(
        &self,
        ctx: &Context<'_>,
        input: VolunteerActivityInput,
    ) -> Result<VolunteerActivityPayload> {
        step(
            ctx,
            input,
            ActivityStep::Approve,
            "approveVolunteerActivity",
        )
        .await
    }

    /// Returns a partner's activity to its organiser as a draft (staff of its community or
    /// above).
    async fn return_volunteer_activity(
        &self,
        ctx: &Context<'_>,
        input: VolunteerActivityInput,
    ) -> Result<VolunteerActivityPayload> {
        step(ctx, input, ActivityStep::Return, "returnVolunteerActivity").await
    }

    /// Stops taking sign-ups (the organiser).
    async fn close_activity_recruitment(
        &self,
        ctx: &Context<'_>,
        input: VolunteerActivityInput,
    ) -> Result<VolunteerActivityPayload> {
        step(
            ctx,
            input,
            ActivityStep::CloseRecruitment,
            "closeActivityRecruitment",
        )
        .await
    }

    /// Starts the activity, at the earliest the attendance tolerance before its start (the
    /// organiser).
    async fn start_volunteer_activity(
        &self,
        ctx: &Context<'_>,
        input: VolunteerActivityInput,
    ) -> Result<VolunteerActivityPayload> {
        step(ctx, input, ActivityStep::Start, "startVolunteerActivity").await
    }

    /// Ends the activity; approved volunteers who never checked in become no-shows (the
    /// organiser).
    async fn end_volunteer_activity(
        &self,
        ctx: &Context<'_>,
        input: VolunteerActivityInput,
    ) -> Result<VolunteerActivityPayload> {
        step(ctx, input, ActivityStep::End, "endVolunteerActivity").await
    }

    /// Confirms every pending service record of an ended activity (the organiser).
    async fn confirm_activity_records(
        &self,
        ctx: &Context<'_>,
        input: VolunteerActivityInput,
    ) -> Result<VolunteerActivityPayload> {
        step(
            ctx,
            input,
            ActivityStep::ConfirmRecords,
            "confirmActivityRecords",
        )
        .await
    }

    /// Cancels the activity before it starts, with its sign-ups (the organiser).
    async fn cancel_volunteer_activity(
        &self,
        ctx: &Context<'_>,
        input: VolunteerActivityInput,
    ) -> Result<VolunteerActivityPayload> {
        step(ctx, input, ActivityStep::Cancel, "cancelVolunteerActivity").await
    }

    /// Signs the calling person up for a published activity in its sign-up window: `APPROVED`
    /// at once when it lets volunteers schedule themselves and a place is free, `APPLIED` for
    /// the organiser otherwise, `WAITLISTED` when full. Refused with `OVERLAPPING_SIGNUP` when
    /// the person holds a place in an activity at an overlapping time.
    async fn sign_up_for_activity(
        &self,
        ctx: &Context<'_>,
        input: VolunteerActivityInput,
    ) -> Result<ActivitySignupPayload> {
        let request = ctx.request()?;
        let activity_id = activity_id(&input.activity_id)?;
        let sign_up = volunteering::sign_up(&request.db, &request.principal, activity_id);
        run_once(
            ctx,
            &input.idempotency_key,
            "signUpForActivity",
            &activity_id,
            sign_up,
        )
        .await
    }

    /// Approves an applied or waitlisted sign-up while a place is free (the organiser).
    async fn approve_activity_signup(
        &self,
        ctx: &Context<'_>,
        input: ActivitySignupInput,
    ) -> Result<ActivitySignupPayload> {
        let request = ctx.request()?;
        let signup_id = signup_id(&input.signup_id)?;
        let approve = volunteering::approve_signup(&request.db, &request.principal, signup_id);
        run_once(
            ctx,
            &input.idempotency_key,
            "approveActivitySignup",
            &signup_id,
            approve,
        )
        .await
    }

    /// Cancels a sign-up before the sign-up deadline (the volunteer or the organiser); a freed
    /// place goes to the first waitlisted volunteer.
    async fn cancel_signup(
        &self,
        ctx: &Context<'_>,
        input: ActivitySignupInput,
    ) -> Result<ActivitySignupPayload> {
        let request = ctx.request()?;
        let signup_id = signup_id(&input.signup_id)?;
        let cancel = volunteering::cancel_signup(&request.db, &request.principal, signup_id);
        run_once(
            ctx,
            &input.idempotency_key,
            "cancelSignup",
            &signup_id,
            cancel,
        )
        .await
    }

    /// Checks an approved volunteer in (the organiser).
    async fn check_in_volunteer(
        &self,
        ctx: &Context<'_>,
        input: RecordAttendanceInput,
    ) -> Result<ActivitySignupPayload> {
        attendance(ctx, input, CodePurpose::CheckIn, "checkInVolunteer").await
    }

    /// Checks a volunteer out (the organiser); this makes the pending service record.
    async fn check_out_volunteer(
        &self,
        ctx: &Context<'_>,
        input: RecordAttendanceInput,
    ) -> Result<ActivitySignupPayload> {
        attendance(ctx, input, CodePurpose::CheckOut, "checkOutVolunteer").await
    }

    /// Checks the calling volunteer in with the organiser's check-in code.
    async fn check_in_with_code(
        &self,
        ctx: &Context<'_>,
        input: AttendWithCodeInput,
    ) -> Result<ActivitySignupPayload> {
        with_code(ctx, input, CodePurpose::CheckIn, "checkInWithCode").await
    }

    /// Checks the calling volunteer out with the organiser's check-out code; this makes the
    /// pending service record.
    async fn check_out_with_code(
        &self,
        ctx: &Context<'_>,
        input: AttendWithCodeInput,
    ) -> Result<ActivitySignupPayload> {
        with_code(ctx, input, CodePurpose::CheckOut, "checkOutWithCode").await
    }

    /// Issues a code volunteers check in or out with; it replaces the previous one for the same
    /// purpose and expires after a while (the organiser). Not idempotent: a replay would have
    /// to keep the code, and only its digest is kept.
    async fn issue_attendance_code(
        &self,
        ctx: &Context<'_>,
        input: IssueAttendanceCodeInput,
    ) -> Result<AttendanceCodePayload> {
        let request = ctx.request()?;
        let activity_id = activity_id(&input.activity_id)?;
        let rules = *ctx.data::<VolunteeringRules>()?;
        let issued = volunteering::issue_attendance_code(
            &request.db,
            &request.principal,
            activity_id,
            input.purpose,
            rules,
        )
        .await
        .or_gql()?;
        Ok(match issued {
            Ok((code, expires_at)) => AttendanceCodePayload {
                code: Some(code),
                expires_at: Some(expires_at),
                user_errors: Vec::new(),
            },
            Err(refusal) => AttendanceCodePayload {
                code: None,
                expires_at: None,
                user_errors: user_errors(&[refusal]),
            },
        })
    }

    /// Certifies a volunteer's confirmed service with the caller's organisation in a period,
    /// corrections included (its API client or organisation administrators). Anyone can verify
    /// the certificate by its number with `verifyServiceCertificate`.
    async fn issue_service_certificate(
        &self,
        ctx: &Context<'_>,
        input: IssueServiceCertificateInput,
    ) -> Result<ServiceCertificatePayload> {
        let request = ctx.request()?;
        let person = decode_as::<Person>("volunteerId", &input.volunteer_id).or_gql()?;
        let fingerprint = (person, input.from, input.to);
        let issue = volunteering::issue_certificate(
            &request.db,
            &request.principal,
            person,
            input.from,
            input.to,
        );
        run_once(
            ctx,
            &input.idempotency_key,
            "issueServiceCertificate",
            &fingerprint,
            issue,
        )
        .await
    }

    /// Redeems a volunteer's points in the "love supermarket" (staff of their community or
    /// above); refused with `INSUFFICIENT_POINTS` beyond the balance, which never goes negative.
    async fn redeem_volunteer_points(
        &self,
        ctx: &Context<'_>,
        input: RedeemVolunteerPointsInput,
    ) -> Result<PointsEntryPayload> {
        let request = ctx.request()?;
        let person = decode_as::<Person>("volunteerId", &input.volunteer_id).or_gql()?;
        let fingerprint = (person, input.points, &input.note);
        let redeem = volunteering::redeem_points(
            &request.db,
            &request.principal,
            person,
            input.points,
            input.note.clone(),
        );
        run_once(
            ctx,
            &input.idempotency_key,
            "redeemVolunteerPoints",
            &fingerprint,
            redeem,
        )
        .await
    }

    /// Confirms a pending service record; it is immutable from then on (the recording
    /// organisation).
    async fn confirm_service_record(
        &self,
        ctx: &Context<'_>,
        input: ServiceRecordInput,
    ) -> Result<ServiceRecordPayload> {
        let request = ctx.request()?;
        let record_id = record_id(&input.record_id)?;
        let rules = *ctx.data::<VolunteeringRules>()?;
        let confirm =
            volunteering::confirm_record(&request.db, &request.principal, record_id, rules);
        run_once(
            ctx,
            &input.idempotency_key,
            "confirmServiceRecord",
            &record_id,
            confirm,
        )
        .await
    }

    /// Corrects a confirmed record with a new compensating record and a reason (the recording
    /// organisation). The service's total stays between zero and the scheduled span plus the
    /// tolerance.
    async fn correct_service_record(
        &self,
        ctx: &Context<'_>,
        input: CorrectServiceRecordInput,
    ) -> Result<ServiceRecordPayload> {
        let request = ctx.request()?;
        let record_id = record_id(&input.record_id)?;
        let rules = *ctx.data::<VolunteeringRules>()?;
        let fingerprint = (record_id, input.minutes, &input.reason);
        let correct = volunteering::correct_record(
            &request.db,
            &request.principal,
            record_id,
            input.minutes,
            input.reason.clone(),
            rules,
        );
        run_once(
            ctx,
            &input.idempotency_key,
            "correctServiceRecord",
            &fingerprint,
            correct,
        )
        .await
    }
}

fn optional<N: crate::graphql::ids::NodeType>(field: &str, id: Option<&ID>) -> Result<Option<i64>> {
    id.map(|id| decode_as::<N>(field, id)).transpose().or_gql()
}

fn activity_id(id: &ID) -> Result<i64> {
    decode_as::<VolunteerActivity>("activityId", id).or_gql()
}

fn signup_id(id: &ID) -> Result<i64> {
    decode_as::<ActivitySignup>("signupId", id).or_gql()
}

fn record_id(id: &ID) -> Result<i64> {
    decode_as::<ServiceRecord>("recordId", id).or_gql()
}

async fn step(
    ctx: &Context<'_>,
    input: VolunteerActivityInput,
    step: ActivityStep,
    operation: &'static str,
) -> Result<VolunteerActivityPayload> {
    let request = ctx.request()?;
    let activity_id = activity_id(&input.activity_id)?;
    let rules = *ctx.data::<VolunteeringRules>()?;
    let change =
        volunteering::move_activity(&request.db, &request.principal, activity_id, step, rules);
    run_once(ctx, &input.idempotency_key, operation, &activity_id, change).await
}

async fn attendance(
    ctx: &Context<'_>,
    input: RecordAttendanceInput,
    purpose: CodePurpose,
    operation: &'static str,
) -> Result<ActivitySignupPayload> {
    let request = ctx.request()?;
    let signup_id = signup_id(&input.signup_id)?;
    let rules = *ctx.data::<VolunteeringRules>()?;
    let fingerprint = (signup_id, input.at);
    let record = volunteering::record_attendance(
        &request.db,
        &request.principal,
        signup_id,
        purpose,
        input.at,
        rules,
    );
    run_once(ctx, &input.idempotency_key, operation, &fingerprint, record).await
}

async fn with_code(
    ctx: &Context<'_>,
    input: AttendWithCodeInput,
    purpose: CodePurpose,
    operation: &'static str,
) -> Result<ActivitySignupPayload> {
    let request = ctx.request()?;
    let activity_id = activity_id(&input.activity_id)?;
    let rules = *ctx.data::<VolunteeringRules>()?;
    // The fingerprint is stored as a digest, so the code never rests in the key table.
    let fingerprint = (activity_id, &input.code);
    let attend = volunteering::attend_with_code(
        &request.db,
        &request.principal,
        activity_id,
        purpose,
        &input.code,
        rules,
    );
    let payload: ActivitySignupPayload =
        run_once(ctx, &input.idempotency_key, operation, &fingerprint, attend).await?;
    // The sign-up's refusals name `signupId` or `at`, which this input does not have: here the
    // volunteer's sign-up and the time are those of the activity named.
    let user_errors = payload
        .user_errors
        .into_iter()
        .map(|error| match error.refusal().field() {
            Some("code") | None => error,
            Some(_) => error.about("activityId"),
        })
        .collect();
    Ok(ActivitySignupPayload {
        user_errors,
        ..payload
    })
}
