use async_graphql::{Context, ErrorExtensions, ID, Json, Object, Result};
use chrono::{DateTime, Utc};
use entities::feedback_report::ReportStatus;
use entities::member_registration::{MemberRegistrationStatus, SubmittedBy};
use entities::member_report::MemberReportStatus;
use entities::org_registration::OrgRegistrationStatus;
use entities::post_claim;
use entities::post_claim::PostClaimStatus;
use entities::service_post::PostStatus;

use super::nodes::{
    AdminUnit, FeedbackReport, MemberRegistration, MemberReport, OrgRegistration, Organization,
    PartyMember, PostClaim, ServicePost,
};
use crate::domain::dual_reporting::feedback_reports::report_csv;
use crate::domain::permissions::{ORGANISATION_ADMINS, acts_for};
use crate::error::ApiError;
use crate::graphql::context::ContextExt;
use crate::graphql::ids::NodeType;
use crate::graphql::lists;

/// An in-office Party organisation's registration (报到) with a community: what it offers,
/// what it needs, and the projects they build together. Reviewed yearly.
#[Object]
impl OrgRegistration {
    /// The registration's opaque, globally unique id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    /// The registering organisation.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        ctx.request()?.load(self.0.organization_id).await
    }

    /// The community registered with.
    async fn community(&self, ctx: &Context<'_>) -> Result<Option<AdminUnit>> {
        ctx.request()?.load(self.0.community_id).await
    }

    /// The year the registration is for.
    async fn year(&self) -> i32 {
        self.0.year
    }

    /// What the organisation offers: resources, skills, funds.
    async fn offers(&self) -> &str {
        &self.0.offers
    }

    /// What the organisation needs from the community.
    async fn needs(&self) -> &str {
        &self.0.needs
    }

    /// Co-building projects agreed with the community.
    async fn projects(&self) -> &str {
        &self.0.projects
    }

    /// Where the registration stands.
    async fn status(&self) -> OrgRegistrationStatus {
        self.0.status
    }

    /// The community's note from its review. Shown to the organisation and to staff of the
    /// community or a unit above it; null for anyone else.
    async fn review_note(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        Ok(self
            .review_readable(ctx)
            .await?
            .then_some(self.0.review_note.as_deref())
            .flatten())
    }

    /// The community's rating of the organisation in the yearly review, 1–5. Shown as
    /// `reviewNote` is.
    async fn community_rating(&self, ctx: &Context<'_>) -> Result<Option<i16>> {
        Ok(self
            .review_readable(ctx)
            .await?
            .then_some(self.0.community_rating)
            .flatten())
    }

    /// The organisation's rating of the community in the yearly review, 1–5. Shown as
    /// `reviewNote` is.
    async fn organization_rating(&self, ctx: &Context<'_>) -> Result<Option<i16>> {
        Ok(self
            .review_readable(ctx)
            .await?
            .then_some(self.0.organization_rating)
            .flatten())
    }

    /// When the community last reviewed the registration. Shown as `reviewNote` is.
    async fn reviewed_at(&self, ctx: &Context<'_>) -> Result<Option<DateTime<Utc>>> {
        Ok(self
            .review_readable(ctx)
            .await?
            .then_some(self.0.reviewed_at)
            .flatten())
    }

    /// When the registration was submitted.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed: created, moved on, edited or closed. Lists partners sync take an
    /// `updatedSince` filter that finds what changed since an instant.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

impl OrgRegistration {
    /// Whether the caller may read the yearly review: the registration is public once accepted,
    /// its review belongs to the organisation and the community (and the units above it).
    async fn review_readable(&self, ctx: &Context<'_>) -> Result<bool> {
        let request = ctx.request()?;
        if acts_for(
            &request.principal,
            self.0.organization_id,
            ORGANISATION_ADMINS,
        ) {
            return Ok(true);
        }
        request.staff_covers(self.0.community_id).await
    }
}

/// A serving Party member's registration (报到) with the community where they live. At most one
/// registration per member is open (submitted or accepted) at a time.
#[Object]
impl MemberRegistration {
    /// The registration's opaque, globally unique id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    /// The registering member.
    async fn member(&self, ctx: &Context<'_>) -> Result<Option<PartyMember>> {
        ctx.request()?.load(self.0.party_member_id).await
    }

    /// The residential community.
    async fn community(&self, ctx: &Context<'_>) -> Result<Option<AdminUnit>> {
        ctx.request()?.load(self.0.community_id).await
    }

    /// The grid the community assigned, inside the community; null until accepted.
    async fn grid(&self, ctx: &Context<'_>) -> Result<Option<AdminUnit>> {
        ctx.request()?.load_opt(self.0.grid_id).await
    }

    /// The member's own unit (its Party organisation) at the time of registration.
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        ctx.request()?.load(self.0.organization_id).await
    }

    /// Where the registration stands.
    async fn status(&self) -> MemberRegistrationStatus {
        self.0.status
    }

    /// Whether the member or their unit submitted it.
    async fn submitted_by(&self) -> SubmittedBy {
        self.0.submitted_by
    }

    /// The community's note on its decision.
    async fn decision_note(&self) -> Option<&str> {
        self.0.decision_note.as_deref()
    }

    /// For a transferred registration: the registration that replaced it.
    async fn transferred_to(&self, ctx: &Context<'_>) -> Result<Option<MemberRegistration>> {
        ctx.request()?.load_opt(self.0.transferred_to_id).await
    }

    /// When the community accepted or rejected it.
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }

    /// When the member's unit was sent its receipt.
    async fn receipt_issued_at(&self) -> Option<DateTime<Utc>> {
        self.0.receipt_issued_at
    }

    /// When the registration was submitted.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed: created, moved on, edited or closed. Lists partners sync take an
    /// `updatedSince` filter that finds what changed since an instant.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A post a community publishes for its registered Party members, such as building steward
/// (楼栋长) or civility guide; never more active holders than its head count.
#[Object]
impl ServicePost {
    /// The post's opaque, globally unique id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    /// The community publishing the post.
    async fn community(&self, ctx: &Context<'_>) -> Result<Option<AdminUnit>> {
        ctx.request()?.load(self.0.community_id).await
    }

    /// The post's title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What the post involves.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// How many members may hold the post at once.
    async fn head_count(&self) -> i32 {
        self.0.head_count
    }

    /// Whether the post takes applications.
    async fn status(&self) -> PostStatus {
        self.0.status
    }

    /// The claims of the post the caller may see, oldest first: at most 50 (all of them
    /// through `postClaims`).
    async fn claims(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many, 1 to 50; 50 when left out.")] first: Option<i32>,
    ) -> Result<Vec<PostClaim>> {
        ctx.request()?
            .children(
                post_claim::Column::PostId,
                self.0.id,
                lists::POST_CLAIMS,
                first,
            )
            .await
    }

    /// When the post was published.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed: created, moved on, edited or closed. Lists partners sync take an
    /// `updatedSince` filter that finds what changed since an instant.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A registered member's claim of a service post.
#[Object]
impl PostClaim {
    /// The claim's opaque, globally unique id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    /// The post claimed.
    async fn post(&self, ctx: &Context<'_>) -> Result<Option<ServicePost>> {
        ctx.request()?.load(self.0.post_id).await
    }

    /// The claiming member.
    async fn member(&self, ctx: &Context<'_>) -> Result<Option<PartyMember>> {
        ctx.request()?.load(self.0.party_member_id).await
    }

    /// Where the claim stands.
    async fn status(&self) -> PostClaimStatus {
        self.0.status
    }

    /// When staff confirmed or rejected it.
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }

    /// When the member withdrew it, or when the member's holding of the post ended.
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }

    /// When the member applied.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed: created, moved on, edited or closed. Lists partners sync take an
    /// `updatedSince` filter that finds what changed since an instant.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A community's report (社区反馈) to a unit for one quarter (China Standard Time): its members'
/// service hours, realised wishes, activities and posts, with the community's rating of each.
#[Object]
impl FeedbackReport {
    /// The report's opaque, globally unique id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    /// The reporting community.
    async fn community(&self, ctx: &Context<'_>) -> Result<Option<AdminUnit>> {
        ctx.request()?.load(self.0.community_id).await
    }

    /// The unit reported to.
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        ctx.request()?.load(self.0.organization_id).await
    }

    /// The year of the period.
    async fn year(&self) -> i32 {
        self.0.year
    }

    /// The quarter of the period, 1–4.
    async fn quarter(&self) -> i16 {
        self.0.quarter
    }

    /// Where the report stands.
    async fn status(&self) -> ReportStatus {
        self.0.status
    }

    /// The report's figures as generated (JSON).
    async fn content(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.content).unwrap_or(serde_json::Value::Null))
    }

    /// When the community secretary signed it.
    async fn signed_at(&self) -> Option<DateTime<Utc>> {
        self.0.signed_at
    }

    /// When it was sent to the unit.
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }

    /// When the unit acknowledged it.
    async fn acknowledged_at(&self) -> Option<DateTime<Utc>> {
        self.0.acknowledged_at
    }

    /// The report as CSV for download: a header, then one line per member (id, masked name,
    /// service hours, service records, realised wishes, posts held, rating); for a summary
    /// report without member lines, one `field,value` line per figure.
    async fn csv(&self) -> Result<String> {
        report_csv(&self.0.content).map_err(|err| {
            tracing::error!(error = %err, report.id = self.0.id, "unreadable report content");
            ApiError::Internal.extend()
        })
    }

    /// When it last changed: created, moved on, edited or closed. Lists partners sync take an
    /// `updatedSince` filter that finds what changed since an instant.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A Party member's half-yearly self-report (双报告) to their own branch, pre-filled from their
/// records (confirmed service, wishes realised, posts held, where they registered), then edited
/// and submitted by the member. Drafts are the member's own; the branch sees submitted reports.
#[Object]
impl MemberReport {
    /// The report's opaque, globally unique id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    /// The reporting member.
    async fn member(&self, ctx: &Context<'_>) -> Result<Option<PartyMember>> {
        ctx.request()?.load(self.0.party_member_id).await
    }

    /// The branch reported to: the member's unit when the report was drafted.
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        ctx.request()?.load(self.0.organization_id).await
    }

    /// The community the member was registered with in the half-year; null when none.
    async fn community(&self, ctx: &Context<'_>) -> Result<Option<AdminUnit>> {
        ctx.request()?.load_opt(self.0.community_id).await
    }

    /// The year of the period.
    async fn year(&self) -> i32 {
        self.0.year
    }

    /// The half of the year, China Standard Time: 1 (January–June) or 2 (July–December).
    async fn half(&self) -> i16 {
        self.0.half
    }

    /// Where the report stands.
    async fn status(&self) -> MemberReportStatus {
        self.0.status
    }

    /// Minutes of confirmed service the member started in the half-year, as drafted.
    async fn service_minutes(&self) -> i64 {
        self.0.service_minutes
    }

    /// How many confirmed service records those minutes come from, as drafted.
    async fn service_records(&self) -> i32 {
        self.0.service_records
    }

    /// Wishes the member claimed and realised in the half-year, as drafted.
    async fn realised_wishes(&self) -> i32 {
        self.0.realised_wishes
    }

    /// Service posts the member was confirmed in by the half-year's end, as drafted.
    async fn posts_held(&self) -> i32 {
        self.0.posts_held
    }

    /// The member's own account of the half-year; null until edited.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }

    /// The member's remarks on the figures.
    async fn remarks(&self) -> Option<&str> {
        self.0.remarks.as_deref()
    }

    /// When the member submitted it.
    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.0.submitted_at
    }

    /// When it was drafted.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
