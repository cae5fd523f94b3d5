use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use crate::domain::dual_reporting::member_reports::{
    self, DraftRequest, EditRequest, MemberReportOutcome, MemberReportRefusal,
};
use crate::domain::transaction::Db;
use crate::graphql::context::ContextExt;
use crate::graphql::errors::OrGql;
use crate::graphql::ids::decode_as;
use crate::graphql::mutations::run_once;
use crate::graphql::mutations::user_errors::{UserError, user_errors};
use crate::graphql::types::MemberReport;

/// Draft the caller's own report for a half-year, pre-filled from their records.
#[derive(Debug, InputObject)]
pub struct DraftMemberReportInput {
    /// The year of the half-year.
    pub year: i32,
    /// The half, 1 (January–June) or 2 (July–December), China Standard Time; it must have
    /// ended.
    pub half: i32,
    /// Makes retries safe: a retry with the same key and input returns the first result and
    /// changes nothing; the key with another input is a CONFLICT. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// Write the summary and remarks of one's own report.
#[derive(Debug, InputObject)]
pub struct EditMemberReportInput {
    /// The report.
    pub report_id: ID,
    /// The member's account of the half-year; required, and replaces the previous one.
    /// At most 4000 characters.
    #[graphql(validator(chars_max_length = 4000))]
    pub summary: String,
    /// Remarks on the pre-filled figures; replaces the previous ones, null clears them.
    /// At most 4000 characters.
    #[graphql(validator(chars_max_length = 4000))]
    pub remarks: Option<String>,
    /// Makes retries safe, as for `draftMemberReport`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// Submit one's own edited report to one's branch.
#[derive(Debug, InputObject)]
pub struct SubmitMemberReportInput {
    /// The report.
    pub report_id: ID,
    /// Makes retries safe, as for `draftMemberReport`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// The result of a change to a member report.
#[derive(SimpleObject)]
pub struct MemberReportPayload {
    /// The report as it stands after the mutation; unchanged (or null) when there are user
    /// errors.
    pub report: Option<MemberReport>,
    /// Why the change was refused; empty when it was made.
    pub user_errors: Vec<UserError<MemberReportRefusal>>,
}

impl From<MemberReportOutcome> for MemberReportPayload {
    fn from(outcome: MemberReportOutcome) -> Self {
        Self {
            report: outcome.changed.map(MemberReport),
            user_errors: user_errors(&outcome.refusals),
        }
    }
}

#[derive(Default)]
pub struct MemberReportMutation;

#[Object]
impl MemberReportMutation {
    /// A Party member drafts their own report (双报告) to their branch for a half-year that has
    /// ended, pre-filled with their confirmed service minutes, the wishes they claimed and
    /// realised, the posts they were confirmed in and the community they registered with.
    /// Once per half-year.
    async fn draft_member_report(
        &self,
        ctx: &Context<'_>,
        input: DraftMemberReportInput,
    ) -> Result<MemberReportPayload> {
        let request = ctx.request()?;
        let draft = DraftRequest {
            year: input.year,
            // Out of range becomes 0, which `draft` refuses as an invalid period.
            half: i16::try_from(input.half).unwrap_or(0),
        };
        // The work borrows what the idempotency key's fingerprint borrows too.
        let draft = &draft;
        let run = |db: Db| async move {
            member_reports::draft(&db, &request.principal, draft.clone()).await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "draftMemberReport",
            &draft,
            run,
        )
        .await
    }

    /// The member writes the summary of their report and remarks on its figures, until they
    /// submit it; the figures themselves stay as drafted.
    async fn edit_member_report(
        &self,
        ctx: &Context<'_>,
        input: EditMemberReportInput,
    ) -> Result<MemberReportPayload> {
        let request = ctx.request()?;
        let edit = EditRequest {
            report_id: decode_as::<MemberReport>("reportId", &input.report_id).or_gql()?,
            summary: input.summary,
            remarks: input.remarks,
        };
        // The work borrows what the idempotency key's fingerprint borrows too.
        let edit = &edit;
        let run = |db: Db| async move {
            member_reports::edit(&db, &request.principal, edit.clone()).await
        };
        run_once(ctx, &input.idempotency_key, "editMemberReport", &edit, run).await
    }

    /// The member submits their edited report to their branch, which may then read it; it no
    /// longer changes.
    async fn submit_member_report(
        &self,
        ctx: &Context<'_>,
        input: SubmitMemberReportInput,
    ) -> Result<MemberReportPayload> {
        let request = ctx.request()?;
        let id = decode_as::<MemberReport>("reportId", &input.report_id).or_gql()?;
        let run = |db: Db| async move { member_reports::submit(&db, &request.principal, id).await };
        run_once(ctx, &input.idempotency_key, "submitMemberReport", &id, run).await
    }
}
