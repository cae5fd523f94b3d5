//! Attendance: the organiser checks volunteers in and out, or volunteers do with the code the
//! organiser shows.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entities::checkin_code::CodePurpose;

use super::activities::activity_id;
use super::signups::{ActivitySignupPayload, signup_id};
use crate::domain::outcome::Refusal;
use crate::domain::transaction::Db;
use crate::domain::volunteering::{self, VolunteeringRefusal, VolunteeringRules};
use crate::graphql::context::ContextExt;
use crate::graphql::errors::OrGql;
use crate::graphql::mutations::run_once;
use crate::graphql::mutations::user_errors::{UserError, user_errors};

/// The organiser records a volunteer's attendance.
#[derive(Debug, InputObject)]
pub struct RecordAttendanceInput {
    /// The volunteer's sign-up.
    pub signup_id: ID,
    /// When it happened; now when omitted. Within the activity's window and its tolerance, and
    /// not in the future.
    pub at: Option<DateTime<Utc>>,
    /// Makes retries safe, as for `createVolunteerActivity`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// A volunteer checks themself in or out with the code the organiser shows.
#[derive(Debug, InputObject)]
pub struct AttendWithCodeInput {
    /// The activity.
    pub activity_id: ID,
    /// The code the organiser shows. 1 to 64 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 64))]
    pub code: String,
    /// Makes retries safe, as for `createVolunteerActivity`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
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

pub(super) async fn attendance(
    ctx: &Context<'_>,
    input: RecordAttendanceInput,
    purpose: CodePurpose,
    operation: &'static str,
) -> Result<ActivitySignupPayload> {
    let request = ctx.request()?;
    let signup_id = signup_id(&input.signup_id)?;
    let rules = *ctx.data::<VolunteeringRules>()?;
    let fingerprint = (signup_id, input.at);
    let record = |db: Db| async move {
        volunteering::record_attendance(
            &db,
            &request.principal,
            signup_id,
            purpose,
            input.at,
            rules,
        )
        .await
    };
    run_once(ctx, &input.idempotency_key, operation, &fingerprint, record).await
}

pub(super) async fn with_code(
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
    // The work borrows what the idempotency key's fingerprint borrows too.
    let input = &input;
    let attend = |db: Db| async move {
        volunteering::attend_with_code(
            &db,
            &request.principal,
            activity_id,
            purpose,
            &input.code,
            rules,
        )
        .await
    };
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

#[derive(Default)]
pub struct AttendanceMutation;

#[Object]
impl AttendanceMutation {
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
}
