//! Sign-ups for volunteer activities: applying, approval and cancelling.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use super::activities::{VolunteerActivityInput, activity_id};
use crate::domain::transaction::Db;
use crate::domain::volunteering::{self, SignupOutcome, VolunteeringRefusal};
use crate::graphql::context::ContextExt;
use crate::graphql::errors::OrGql;
use crate::graphql::ids::decode_as;
use crate::graphql::mutations::run_once;
use crate::graphql::mutations::user_errors::{UserError, user_errors};
use crate::graphql::types::ActivitySignup;

/// A change to a sign-up that needs nothing but the sign-up.
#[derive(Debug, InputObject)]
pub struct ActivitySignupInput {
    /// The sign-up.
    pub signup_id: ID,
    /// Makes retries safe, as for `createVolunteerActivity`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
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

impl From<SignupOutcome> for ActivitySignupPayload {
    fn from(outcome: SignupOutcome) -> Self {
        Self {
            signup: outcome.changed.map(ActivitySignup),
            user_errors: user_errors(&outcome.refusals),
        }
    }
}

pub(super) fn signup_id(id: &ID) -> Result<i64> {
    decode_as::<ActivitySignup>("signupId", id).or_gql()
}

#[derive(Default)]
pub struct SignupMutation;

#[Object]
impl SignupMutation {
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
        let sign_up = |db: Db| async move {
            volunteering::sign_up(&db, &request.principal, activity_id).await
        };
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
        let approve = |db: Db| async move {
            volunteering::approve_signup(&db, &request.principal, signup_id).await
        };
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
        let cancel = |db: Db| async move {
            volunteering::cancel_signup(&db, &request.principal, signup_id).await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "cancelSignup",
            &signup_id,
            cancel,
        )
        .await
    }
}
