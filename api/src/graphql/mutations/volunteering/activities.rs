//! Volunteer activities: drafting, publishing and approval, recruitment, start, end,
//! confirming their records and cancelling.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entities::organization::ServiceCategory;
use entities::volunteer_team::VolunteerArea;

use crate::domain::transaction::Db;
use crate::domain::volunteering::{
    self, ActivityOutcome, ActivityStep, NewActivity, VolunteeringRefusal, VolunteeringRules,
};
use crate::error::ApiError;
use crate::graphql::context::ContextExt;
use crate::graphql::errors::OrGql;
use crate::graphql::ids::{decode_as, optional_id};
use crate::graphql::mutations::run_once;
use crate::graphql::mutations::user_errors::{UserError, user_errors};
use crate::graphql::types::{AdminUnit, ServiceCentre, VolunteerActivity, VolunteerTeam};

/// Draft a volunteer activity for the caller's organisation (its API client with
/// `volunteering:write`, or its organisation or Party unit administrators).
#[derive(Debug, InputObject)]
pub struct CreateVolunteerActivityInput {
    /// The community where it takes place.
    pub community_id: ID,
    /// The organisation's team that runs it, if any.
    pub team_id: Option<ID>,
    /// A short title. 1 to 100 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 100))]
    pub title: String,
    /// What volunteers will do. At most 2000 characters.
    #[graphql(validator(chars_max_length = 2000))]
    pub description: Option<String>,
    /// The volunteer area; this or `serviceCategory` is needed.
    pub area: Option<VolunteerArea>,
    /// The professional service category; this or `area` is needed.
    pub service_category: Option<ServiceCategory>,
    /// One of the community's centres; this or `place` is needed.
    pub centre_id: Option<ID>,
    /// Where it takes place, when not in a centre. At most 200 characters.
    #[graphql(validator(chars_max_length = 200))]
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
    /// expire after 24 hours. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// A change to an activity that needs nothing but the activity.
#[derive(Debug, InputObject)]
pub struct VolunteerActivityInput {
    /// The activity.
    pub activity_id: ID,
    /// Makes retries safe, as for `createVolunteerActivity`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
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

impl From<ActivityOutcome> for VolunteerActivityPayload {
    fn from(outcome: ActivityOutcome) -> Self {
        Self {
            activity: outcome.changed.map(VolunteerActivity),
            user_errors: user_errors(&outcome.refusals),
        }
    }
}

pub(super) fn activity_id(id: &ID) -> Result<i64> {
    decode_as::<VolunteerActivity>("activityId", id).or_gql()
}

pub(super) async fn step(
    ctx: &Context<'_>,
    input: VolunteerActivityInput,
    step: ActivityStep,
    operation: &'static str,
) -> Result<VolunteerActivityPayload> {
    let request = ctx.request()?;
    let activity_id = activity_id(&input.activity_id)?;
    let rules = *ctx.data::<VolunteeringRules>()?;
    let change = |db: Db| async move {
        volunteering::move_activity(&db, &request.principal, activity_id, step, rules).await
    };
    run_once(ctx, &input.idempotency_key, operation, &activity_id, change).await
}

#[derive(Default)]
pub struct ActivityMutation;

#[Object]
impl ActivityMutation {
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
            team_id: optional_id::<VolunteerTeam>("teamId", input.team_id.as_ref()).or_gql()?,
            title: input.title,
            description: input.description,
            area: input.area,
            service_category: input.service_category,
            centre_id: optional_id::<ServiceCentre>("centreId", input.centre_id.as_ref())
                .or_gql()?,
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
        let new = &new;
        let create = |db: Db| async move {
            volunteering::create_activity(&db, &request.principal, new.clone()).await
        };
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
}
