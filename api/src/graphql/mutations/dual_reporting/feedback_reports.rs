use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use crate::domain::dual_reporting::feedback_reports::{
    self, FeedbackReportRefusal, ReportOutcome, ReportRequest, Step,
};
use crate::domain::transaction::Db;
use crate::graphql::context::ContextExt;
use crate::graphql::errors::OrGql;
use crate::graphql::ids::decode_as;
use crate::graphql::mutations::run_once;
use crate::graphql::mutations::user_errors::{UserError, user_errors};
use crate::graphql::types::{AdminUnit, FeedbackReport, Organization, PartyMember};

/// The community's rating of one member in a report.
#[derive(Debug, InputObject)]
pub struct MemberRatingInput {
    /// A member in the report.
    pub member_id: ID,
    /// 1–5.
    pub rating: i32,
}

/// Generate a community's report to a unit for a past quarter.
#[derive(Debug, InputObject)]
pub struct GenerateFeedbackReportInput {
    /// The reporting community.
    pub community_id: ID,
    /// The unit reported to.
    pub unit_id: ID,
    /// The year of the quarter.
    pub year: i32,
    /// The quarter, 1–4, China Standard Time; it must have ended.
    pub quarter: i32,
    /// The community's rating of members in the report. At most 1000 items.
    #[graphql(validator(max_items = 1000), default)]
    pub ratings: Vec<MemberRatingInput>,
    /// Makes retries safe: a retry with the same key and input returns the first result and
    /// changes nothing; the key with another input is a CONFLICT. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// Move a report one step on.
#[derive(Debug, InputObject)]
pub struct FeedbackReportStepInput {
    /// The report.
    pub report_id: ID,
    /// Makes retries safe, as for `generateFeedbackReport`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// The result of a change to a feedback report.
#[derive(SimpleObject)]
pub struct FeedbackReportPayload {
    /// The report as it stands after the mutation; unchanged (or null) when there are user
    /// errors.
    pub report: Option<FeedbackReport>,
    /// Why the change was refused; empty when it was made.
    pub user_errors: Vec<UserError<FeedbackReportRefusal>>,
}

impl From<ReportOutcome> for FeedbackReportPayload {
    fn from(outcome: ReportOutcome) -> Self {
        Self {
            report: outcome.changed.map(FeedbackReport),
            user_errors: user_errors(&outcome.refusals),
        }
    }
}

#[derive(Default)]
pub struct FeedbackReportMutation;

#[Object]
impl FeedbackReportMutation {
    /// The community's staff generate its report to a unit for a quarter that has ended:
    /// the unit's members' confirmed service hours (by the unit each record snapshots),
    /// realised wishes and posts held, with the community's ratings. Once per period.
    async fn generate_feedback_report(
        &self,
        ctx: &Context<'_>,
        input: GenerateFeedbackReportInput,
    ) -> Result<FeedbackReportPayload> {
        let request = ctx.request()?;
        let ratings = input
            .ratings
            .iter()
            .map(|rating| {
                decode_as::<PartyMember>("ratings", &rating.member_id)
                    .map(|member| (member, rating.rating))
            })
            .collect::<Result<Vec<_>, _>>()
            .or_gql()?;
        let report = ReportRequest {
            community_id: decode_as::<AdminUnit>("communityId", &input.community_id).or_gql()?,
            unit_id: decode_as::<Organization>("unitId", &input.unit_id).or_gql()?,
            year: input.year,
            // Out of range becomes 0, which `generate` refuses as an invalid period.
            quarter: i16::try_from(input.quarter).unwrap_or(0),
            ratings,
        };
        // The work borrows what the idempotency key's fingerprint borrows too.
        let report = &report;
        let generate = |db: Db| async move {
            feedback_reports::generate(&db, &request.principal, report.clone()).await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "generateFeedbackReport",
            &report,
            generate,
        )
        .await
    }

    /// The community secretary (community staff) signs a generated report.
    async fn sign_feedback_report(
        &self,
        ctx: &Context<'_>,
        input: FeedbackReportStepInput,
    ) -> Result<FeedbackReportPayload> {
        step(ctx, input, Step::Sign, "signFeedbackReport").await
    }

    /// The community sends a signed report to the unit.
    async fn send_feedback_report(
        &self,
        ctx: &Context<'_>,
        input: FeedbackReportStepInput,
    ) -> Result<FeedbackReportPayload> {
        step(ctx, input, Step::Send, "sendFeedbackReport").await
    }

    /// The unit (its Party unit administrator or API client) acknowledges a sent report.
    async fn acknowledge_feedback_report(
        &self,
        ctx: &Context<'_>,
        input: FeedbackReportStepInput,
    ) -> Result<FeedbackReportPayload> {
        step(ctx, input, Step::Acknowledge, "acknowledgeFeedbackReport").await
    }
}

async fn step(
    ctx: &Context<'_>,
    input: FeedbackReportStepInput,
    step: Step,
    operation: &'static str,
) -> Result<FeedbackReportPayload> {
    let request = ctx.request()?;
    let id = decode_as::<FeedbackReport>("reportId", &input.report_id).or_gql()?;
    let advance =
        |db: Db| async move { feedback_reports::advance(&db, &request.principal, id, step).await };
    run_once(ctx, &input.idempotency_key, operation, &id, advance).await
}
