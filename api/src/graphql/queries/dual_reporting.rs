use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use entities::feedback_report::ReportStatus;
use entities::member_registration::MemberRegistrationStatus;
use entities::member_report::MemberReportStatus;
use entities::org_registration::OrgRegistrationStatus;
use entities::post_claim::PostClaimStatus;
use entities::service_post::PostStatus;
use entities::{
    feedback_report, member_registration, member_report, org_registration, post_claim, service_post,
};
use sea_orm::{ColumnTrait, Condition};

use crate::auth::Scope;
use crate::error::ApiError;
use crate::graphql::connection::{ListFilter, NodeConnection, PageArgs, list};
use crate::graphql::guards::Needs;
use crate::graphql::ids::optional_id;
use crate::graphql::ordering::{CreatedOrderField, OrderBy};
use crate::graphql::types::{
    AdminUnit, FeedbackReport, MemberRegistration, MemberReport, OrgRegistration, Organization,
    PartyMember, PostClaim, ServicePost,
};

/// Which organisation registrations to list.
#[derive(Debug, Default, InputObject)]
pub struct OrgRegistrationFilter {
    /// Only registrations with this community.
    community: Option<ID>,
    /// Only registrations of this organisation.
    organization: Option<ID>,
    /// Only registrations in this status.
    status: Option<OrgRegistrationStatus>,
    /// Only registrations for this year.
    year: Option<i32>,
    /// Only registrations that changed at or after this instant (their `updatedAt`): poll with the
    /// time of the last poll to sync only what changed.
    updated_since: Option<DateTime<Utc>>,
}

impl ListFilter for OrgRegistrationFilter {
    type Entity = org_registration::Entity;

    fn condition(self) -> Result<Condition, ApiError> {
        use org_registration::Column as C;
        let community = optional_id::<AdminUnit>("community", self.community.as_ref())?;
        let organization = optional_id::<Organization>("organization", self.organization.as_ref())?;
        Ok(Condition::all()
            .add_option(community.map(|id| C::CommunityId.eq(id)))
            .add_option(organization.map(|id| C::OrganizationId.eq(id)))
            .add_option(self.status.map(|status| C::Status.eq(status)))
            .add_option(self.year.map(|year| C::Year.eq(year)))
            .add_option(self.updated_since.map(|time| C::UpdatedAt.gte(time))))
    }
}

/// Which member registrations to list.
#[derive(Debug, Default, InputObject)]
pub struct MemberRegistrationFilter {
    /// Only registrations with this community.
    community: Option<ID>,
    /// Only registrations assigned to this grid.
    grid: Option<ID>,
    /// Only registrations of members of this unit.
    unit: Option<ID>,
    /// Only registrations in these statuses. At most 20 items.
    #[graphql(validator(max_items = 20))]
    status: Option<Vec<MemberRegistrationStatus>>,
    /// Only registrations that changed at or after this instant (their `updatedAt`): poll with the
    /// time of the last poll to sync only what changed.
    updated_since: Option<DateTime<Utc>>,
}

impl ListFilter for MemberRegistrationFilter {
    type Entity = member_registration::Entity;

    fn condition(self) -> Result<Condition, ApiError> {
        use member_registration::Column as C;
        let community = optional_id::<AdminUnit>("community", self.community.as_ref())?;
        let grid = optional_id::<AdminUnit>("grid", self.grid.as_ref())?;
        let unit = optional_id::<Organization>("unit", self.unit.as_ref())?;
        Ok(Condition::all()
            .add_option(community.map(|id| C::CommunityId.eq(id)))
            .add_option(grid.map(|id| C::GridId.eq(id)))
            .add_option(unit.map(|id| C::OrganizationId.eq(id)))
            .add_option(self.status.map(|statuses| C::Status.is_in(statuses)))
            .add_option(self.updated_since.map(|time| C::UpdatedAt.gte(time))))
    }
}

/// Which service posts to list.
#[derive(Debug, Default, InputObject)]
pub struct ServicePostFilter {
    /// Only posts of this community.
    community: Option<ID>,
    /// Only posts in this status.
    status: Option<PostStatus>,
}

impl ListFilter for ServicePostFilter {
    type Entity = service_post::Entity;

    fn condition(self) -> Result<Condition, ApiError> {
        use service_post::Column as C;
        let community = optional_id::<AdminUnit>("community", self.community.as_ref())?;
        Ok(Condition::all()
            .add_option(community.map(|id| C::CommunityId.eq(id)))
            .add_option(self.status.map(|status| C::Status.eq(status))))
    }
}

/// Which post claims to list.
#[derive(Debug, Default, InputObject)]
pub struct PostClaimFilter {
    /// Only claims of this post.
    post: Option<ID>,
    /// Only claims in this status.
    status: Option<PostClaimStatus>,
}

impl ListFilter for PostClaimFilter {
    type Entity = post_claim::Entity;

    fn condition(self) -> Result<Condition, ApiError> {
        use post_claim::Column as C;
        let post = optional_id::<ServicePost>("post", self.post.as_ref())?;
        Ok(Condition::all()
            .add_option(post.map(|id| C::PostId.eq(id)))
            .add_option(self.status.map(|status| C::Status.eq(status))))
    }
}

/// Which feedback reports to list.
#[derive(Debug, Default, InputObject)]
pub struct FeedbackReportFilter {
    /// Only reports of this community.
    community: Option<ID>,
    /// Only reports to this unit.
    unit: Option<ID>,
    /// Only reports for this year.
    year: Option<i32>,
    /// Only reports for this quarter (1–4).
    quarter: Option<i16>,
    /// Only reports in this status.
    status: Option<ReportStatus>,
}

impl ListFilter for FeedbackReportFilter {
    type Entity = feedback_report::Entity;

    fn condition(self) -> Result<Condition, ApiError> {
        use feedback_report::Column as C;
        let community = optional_id::<AdminUnit>("community", self.community.as_ref())?;
        let unit = optional_id::<Organization>("unit", self.unit.as_ref())?;
        Ok(Condition::all()
            .add_option(community.map(|id| C::CommunityId.eq(id)))
            .add_option(unit.map(|id| C::OrganizationId.eq(id)))
            .add_option(self.year.map(|year| C::Year.eq(year)))
            .add_option(self.quarter.map(|quarter| C::Quarter.eq(quarter)))
            .add_option(self.status.map(|status| C::Status.eq(status))))
    }
}

/// Which member self-reports to list.
#[derive(Debug, Default, InputObject)]
pub struct MemberReportFilter {
    /// Only reports to this unit.
    unit: Option<ID>,
    /// Only reports of this member.
    member: Option<ID>,
    /// Only reports for this year.
    year: Option<i32>,
    /// Only reports for this half of the year (1–2).
    half: Option<i16>,
    /// Only reports in this status.
    status: Option<MemberReportStatus>,
}

impl ListFilter for MemberReportFilter {
    type Entity = member_report::Entity;

    fn condition(self) -> Result<Condition, ApiError> {
        use member_report::Column as C;
        let unit = optional_id::<Organization>("unit", self.unit.as_ref())?;
        let member = optional_id::<PartyMember>("member", self.member.as_ref())?;
        Ok(Condition::all()
            .add_option(unit.map(|id| C::OrganizationId.eq(id)))
            .add_option(member.map(|id| C::PartyMemberId.eq(id)))
            .add_option(self.year.map(|year| C::Year.eq(year)))
            .add_option(self.half.map(|half| C::Half.eq(half)))
            .add_option(self.status.map(|status| C::Status.eq(status))))
    }
}

#[derive(Default)]
pub struct DualReportingQuery;

#[Object]
impl DualReportingQuery {
    /// Organisations' registrations with communities (accepted ones are public).
    #[expect(clippy::too_many_arguments, reason = "Relay connection arguments")]
    async fn org_registrations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list; every field given must match.")] filter: Option<
            OrgRegistrationFilter,
        >,
        #[graphql(desc = "The order of the list; ties are broken by id.")] order_by: Option<
            OrderBy<CreatedOrderField>,
        >,
        #[graphql(
            desc = "Returns the first n items (0–100; 20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (0–100).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
    ) -> Result<NodeConnection<OrgRegistration>> {
        list(
            ctx,
            filter,
            order_by,
            PageArgs {
                first,
                after,
                last,
                before,
            },
        )
        .await
    }

    /// Party members' registrations with their residential communities.
    #[graphql(guard = "Needs(Scope::RegistrationsRead)")]
    #[expect(clippy::too_many_arguments, reason = "Relay connection arguments")]
    async fn member_registrations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list; every field given must match.")] filter: Option<
            MemberRegistrationFilter,
        >,
        #[graphql(desc = "The order of the list; ties are broken by id.")] order_by: Option<
            OrderBy<CreatedOrderField>,
        >,
        #[graphql(
            desc = "Returns the first n items (0–100; 20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (0–100).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
    ) -> Result<NodeConnection<MemberRegistration>> {
        list(
            ctx,
            filter,
            order_by,
            PageArgs {
                first,
                after,
                last,
                before,
            },
        )
        .await
    }

    /// Service posts communities publish for registered members.
    #[expect(clippy::too_many_arguments, reason = "Relay connection arguments")]
    async fn service_posts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list; every field given must match.")] filter: Option<
            ServicePostFilter,
        >,
        #[graphql(desc = "The order of the list; ties are broken by id.")] order_by: Option<
            OrderBy<CreatedOrderField>,
        >,
        #[graphql(
            desc = "Returns the first n items (0–100; 20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (0–100).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
    ) -> Result<NodeConnection<ServicePost>> {
        list(
            ctx,
            filter,
            order_by,
            PageArgs {
                first,
                after,
                last,
                before,
            },
        )
        .await
    }

    /// Members' claims of service posts.
    #[graphql(guard = "Needs(Scope::RegistrationsRead)")]
    #[expect(clippy::too_many_arguments, reason = "Relay connection arguments")]
    async fn post_claims(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list; every field given must match.")] filter: Option<
            PostClaimFilter,
        >,
        #[graphql(desc = "The order of the list; ties are broken by id.")] order_by: Option<
            OrderBy<CreatedOrderField>,
        >,
        #[graphql(
            desc = "Returns the first n items (0–100; 20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (0–100).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
    ) -> Result<NodeConnection<PostClaim>> {
        list(
            ctx,
            filter,
            order_by,
            PageArgs {
                first,
                after,
                last,
                before,
            },
        )
        .await
    }

    /// Communities' quarterly reports to members' units.
    #[graphql(guard = "Needs(Scope::RegistrationsRead)")]
    #[expect(clippy::too_many_arguments, reason = "Relay connection arguments")]
    async fn feedback_reports(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list; every field given must match.")] filter: Option<
            FeedbackReportFilter,
        >,
        #[graphql(desc = "The order of the list; ties are broken by id.")] order_by: Option<
            OrderBy<CreatedOrderField>,
        >,
        #[graphql(
            desc = "Returns the first n items (0–100; 20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (0–100).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
    ) -> Result<NodeConnection<FeedbackReport>> {
        list(
            ctx,
            filter,
            order_by,
            PageArgs {
                first,
                after,
                last,
                before,
            },
        )
        .await
    }

    /// Members' half-yearly self-reports: a member sees their own, a unit (its Party unit
    /// administrator or API client) the submitted reports of its members.
    #[graphql(guard = "Needs(Scope::RegistrationsRead)")]
    #[expect(clippy::too_many_arguments, reason = "Relay connection arguments")]
    async fn member_reports(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list; every field given must match.")] filter: Option<
            MemberReportFilter,
        >,
        #[graphql(desc = "The order of the list; ties are broken by id.")] order_by: Option<
            OrderBy<CreatedOrderField>,
        >,
        #[graphql(
            desc = "Returns the first n items (0–100; 20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (0–100).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
    ) -> Result<NodeConnection<MemberReport>> {
        list(
            ctx,
            filter,
            order_by,
            PageArgs {
                first,
                after,
                last,
                before,
            },
        )
        .await
    }
}
