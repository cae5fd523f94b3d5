use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use entities::activity_signup::SignupStatus;
use entities::service_record::RecordStatus;
use entities::volunteer_activity::ActivityStatus;
use entities::volunteer_team::VolunteerArea;
use entities::{activity_signup, service_record, volunteer_activity, volunteer_team};
use sea_orm::{ColumnTrait, Condition};

use crate::auth::Scope;
use crate::domain::volunteering;
use crate::error::ApiError;
use crate::graphql::connection::{ListFilter, NodeConnection, PageArgs, list};
use crate::graphql::context::ContextExt;
use crate::graphql::errors::OrGql;
use crate::graphql::guards::Needs;
use crate::graphql::ids::decode_as;
use crate::graphql::ids::optional_id;
use crate::graphql::lists;
use crate::graphql::ordering::{
    ActivityOrderField, CreatedOrderField, OrderBy, ServiceRecordOrderField,
};
use crate::graphql::types::{
    ActivitySignup, AdminUnit, Organization, Person, PointsAccount, ServiceCertificate,
    ServiceHours, ServiceRecord, VolunteerActivity, VolunteerTeam,
};

/// Which volunteer teams to list.
#[derive(Debug, Default, InputObject)]
pub struct VolunteerTeamFilter {
    /// Only teams based in this community.
    community: Option<ID>,
    /// Only teams run by this organisation.
    organization: Option<ID>,
    /// Only teams serving in this area.
    area: Option<VolunteerArea>,
}

impl ListFilter for VolunteerTeamFilter {
    type Entity = volunteer_team::Entity;

    fn condition(self) -> Result<Condition, ApiError> {
        use volunteer_team::Column as C;
        let community = optional_id::<AdminUnit>("community", self.community.as_ref())?;
        let organization = optional_id::<Organization>("organization", self.organization.as_ref())?;
        Ok(Condition::all()
            .add_option(community.map(|id| C::CommunityId.eq(id)))
            .add_option(organization.map(|id| C::OrganizationId.eq(id)))
            .add_option(self.area.map(|area| C::Area.eq(area))))
    }
}

/// Which volunteer activities to list.
#[derive(Debug, Default, InputObject)]
pub struct VolunteerActivityFilter {
    /// Only activities in this community.
    community: Option<ID>,
    /// Only activities organised by this organisation.
    organization: Option<ID>,
    /// Only activities in these statuses. At most 20 items.
    #[graphql(validator(max_items = 20))]
    status: Option<Vec<ActivityStatus>>,
    /// Only activities in this area.
    area: Option<VolunteerArea>,
    /// Only activities starting at or after this time.
    starts_after: Option<DateTime<Utc>>,
    /// Only activities starting before this time.
    starts_before: Option<DateTime<Utc>>,
    /// Only activities that changed at or after this instant (their `updatedAt`): poll with the
    /// time of the last poll to sync only what changed.
    updated_since: Option<DateTime<Utc>>,
}

impl ListFilter for VolunteerActivityFilter {
    type Entity = volunteer_activity::Entity;

    fn condition(self) -> Result<Condition, ApiError> {
        use volunteer_activity::Column as C;
        let community = optional_id::<AdminUnit>("community", self.community.as_ref())?;
        let organization = optional_id::<Organization>("organization", self.organization.as_ref())?;
        Ok(Condition::all()
            .add_option(community.map(|id| C::CommunityId.eq(id)))
            .add_option(organization.map(|id| C::OrganizationId.eq(id)))
            .add_option(self.status.map(|statuses| C::Status.is_in(statuses)))
            .add_option(self.area.map(|area| C::Area.eq(area)))
            .add_option(self.starts_after.map(|time| C::StartsAt.gte(time)))
            .add_option(self.starts_before.map(|time| C::StartsAt.lt(time)))
            .add_option(self.updated_since.map(|time| C::UpdatedAt.gte(time))))
    }
}

/// Which sign-ups to list.
#[derive(Debug, Default, InputObject)]
pub struct ActivitySignupFilter {
    /// Only sign-ups for this activity.
    activity: Option<ID>,
    /// Only sign-ups of this volunteer.
    volunteer: Option<ID>,
    /// Only sign-ups in these statuses. At most 20 items.
    #[graphql(validator(max_items = 20))]
    status: Option<Vec<SignupStatus>>,
    /// Only sign-ups that changed at or after this instant (their `updatedAt`): poll with the
    /// time of the last poll to sync only what changed.
    updated_since: Option<DateTime<Utc>>,
}

impl ListFilter for ActivitySignupFilter {
    type Entity = activity_signup::Entity;

    fn condition(self) -> Result<Condition, ApiError> {
        use activity_signup::Column as C;
        let activity = optional_id::<VolunteerActivity>("activity", self.activity.as_ref())?;
        let volunteer = optional_id::<Person>("volunteer", self.volunteer.as_ref())?;
        Ok(Condition::all()
            .add_option(activity.map(|id| C::ActivityId.eq(id)))
            .add_option(volunteer.map(|id| C::PersonId.eq(id)))
            .add_option(self.status.map(|statuses| C::Status.is_in(statuses)))
            .add_option(self.updated_since.map(|time| C::UpdatedAt.gte(time))))
    }
}

/// Which service records to list.
#[derive(Debug, Default, InputObject)]
pub struct ServiceRecordFilter {
    /// Only records of this volunteer.
    volunteer: Option<ID>,
    /// Only records kept by this organisation.
    organization: Option<ID>,
    /// Only records of members of this unit (as it was at the time of service).
    member_unit: Option<ID>,
    /// Only records of service in this community.
    community: Option<ID>,
    /// Only records in this status.
    status: Option<RecordStatus>,
    /// Only service that started at or after this time.
    started_after: Option<DateTime<Utc>>,
    /// Only service that started before this time.
    started_before: Option<DateTime<Utc>>,
}

impl ListFilter for ServiceRecordFilter {
    type Entity = service_record::Entity;

    fn condition(self) -> Result<Condition, ApiError> {
        use service_record::Column as C;
        let volunteer = optional_id::<Person>("volunteer", self.volunteer.as_ref())?;
        let organization = optional_id::<Organization>("organization", self.organization.as_ref())?;
        let member_unit = optional_id::<Organization>("memberUnit", self.member_unit.as_ref())?;
        let community = optional_id::<AdminUnit>("community", self.community.as_ref())?;
        Ok(Condition::all()
            .add_option(volunteer.map(|id| C::PersonId.eq(id)))
            .add_option(organization.map(|id| C::OrganizationId.eq(id)))
            .add_option(member_unit.map(|id| C::MemberUnitId.eq(id)))
            .add_option(community.map(|id| C::CommunityId.eq(id)))
            .add_option(self.status.map(|status| C::Status.eq(status)))
            .add_option(self.started_after.map(|time| C::StartedAt.gte(time)))
            .add_option(self.started_before.map(|time| C::StartedAt.lt(time))))
    }
}

#[derive(Default)]
pub struct VolunteeringQuery;

#[Object]
impl VolunteeringQuery {
    /// The district's volunteer service teams.
    #[expect(clippy::too_many_arguments, reason = "Relay connection arguments")]
    async fn volunteer_teams(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list; every field given must match.")] filter: Option<
            VolunteerTeamFilter,
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
    ) -> Result<NodeConnection<VolunteerTeam>> {
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

    /// Volunteer activities: published ones for everyone, drafts for their organisers and
    /// community staff.
    #[expect(clippy::too_many_arguments, reason = "Relay connection arguments")]
    async fn volunteer_activities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list; every field given must match.")] filter: Option<
            VolunteerActivityFilter,
        >,
        #[graphql(desc = "The order of the list; ties are broken by id.")] order_by: Option<
            OrderBy<ActivityOrderField>,
        >,
        #[graphql(
            desc = "Returns the first n items (0–100; 20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (0–100).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
    ) -> Result<NodeConnection<VolunteerActivity>> {
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

    /// Sign-ups for activities, as the caller may see them.
    #[graphql(guard = "Needs(Scope::VolunteeringRead)")]
    #[expect(clippy::too_many_arguments, reason = "Relay connection arguments")]
    async fn activity_signups(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list; every field given must match.")] filter: Option<
            ActivitySignupFilter,
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
    ) -> Result<NodeConnection<ActivitySignup>> {
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

    /// A volunteer's confirmed service minutes, in total and by month, area and recording
    /// organisation, from the records the caller may see (a partner, the time given to it).
    /// `from`/`to` bound when the service started.
    #[graphql(guard = "Needs(Scope::VolunteeringRead)")]
    async fn service_hours(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The volunteer (a `Person` id).")] volunteer: ID,
        #[graphql(desc = "Only service that started at or after this instant.")] from: Option<
            DateTime<Utc>,
        >,
        #[graphql(desc = "Only service that started before this instant.")] to: Option<
            DateTime<Utc>,
        >,
    ) -> Result<ServiceHours> {
        let request = ctx.request()?;
        let person = decode_as::<Person>("volunteer", &volunteer).or_gql()?;
        let totals =
            volunteering::confirmed_hours(&request.db, &request.principal, person, from, to)
                .await
                .or_gql()?;
        Ok(ServiceHours(totals))
    }

    /// A volunteer's points and their ledger, for the volunteer and the staff of the grid,
    /// community or unit above where they live; null for anyone else, their Party unit
    /// included. API clients need the `volunteering:read` scope.
    #[graphql(guard = "Needs(Scope::VolunteeringRead)")]
    async fn volunteer_points(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The volunteer (a `Person` id).")] volunteer: ID,
    ) -> Result<Option<PointsAccount>> {
        let request = ctx.request()?;
        let person = decode_as::<Person>("volunteer", &volunteer).or_gql()?;
        let limit = lists::POINTS_ENTRIES.max;
        let ledger = volunteering::points_ledger(&request.db, &request.principal, person, limit)
            .await
            .or_gql()?;
        Ok(ledger.map(PointsAccount))
    }

    /// The service certificate with this number, for anyone to verify; null when there is
    /// none. It shows no personal data.
    async fn verify_service_certificate(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The number printed on the certificate.",
            validator(min_length = 1, max_length = 32)
        )]
        number: String,
    ) -> Result<Option<ServiceCertificate>> {
        let request = ctx.request()?;
        let certificate = volunteering::verify_certificate(&request.db, &number)
            .await
            .or_gql()?;
        Ok(certificate.map(ServiceCertificate))
    }

    /// Service records (volunteer hours), as the caller may see them.
    #[graphql(guard = "Needs(Scope::VolunteeringRead)")]
    #[expect(clippy::too_many_arguments, reason = "Relay connection arguments")]
    async fn service_records(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list; every field given must match.")] filter: Option<
            ServiceRecordFilter,
        >,
        #[graphql(desc = "The order of the list; ties are broken by id.")] order_by: Option<
            OrderBy<ServiceRecordOrderField>,
        >,
        #[graphql(
            desc = "Returns the first n items (0–100; 20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (0–100).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
    ) -> Result<NodeConnection<ServiceRecord>> {
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
