use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entities::activity_signup::SignupStatus;
use entities::organization::ServiceCategory;
use entities::service_record::RecordStatus;
use entities::team_member::TeamRole;
use entities::volunteer_activity::ActivityStatus;
use entities::volunteer_team::{TeamStatus, VolunteerArea};
use entities::{activity_signup, team_member};

use super::nodes::{
    ActivitySignup, AdminUnit, Organization, Person, ServiceCentre, ServiceRecord, TeamMembership,
    VolunteerActivity, VolunteerTeam,
};
use crate::graphql::context::ContextExt;
use crate::graphql::errors::OrGql;
use crate::graphql::ids::NodeType;
use crate::graphql::lists;
use crate::graphql::loaders::ChildrenOf;

/// A volunteer service team in one of six areas, based in a community and run by an
/// organisation.
#[Object]
impl VolunteerTeam {
    /// The team's opaque, globally unique id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    /// The team's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The area the team serves in.
    async fn area(&self) -> VolunteerArea {
        self.0.area
    }

    /// The community the team is based in.
    async fn community(&self, ctx: &Context<'_>) -> Result<Option<AdminUnit>> {
        ctx.request()?.load(self.0.community_id).await
    }

    /// The organisation running the team.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        ctx.request()?.load(self.0.organization_id).await
    }

    /// Whether the team is active.
    async fn status(&self) -> TeamStatus {
        self.0.status
    }

    /// The team's current members the caller may see, longest-standing first: at most 100.
    async fn members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many, 1 to 100; 100 when left out.")] first: Option<i32>,
    ) -> Result<Vec<TeamMembership>> {
        use team_member::Column;
        let items = lists::TEAM_MEMBERS.items(first).or_gql()?;
        let current = ChildrenOf::new(Column::TeamId, self.0.id, lists::TEAM_MEMBERS.limit())
            .current(Column::LeftAt);
        ctx.request()?.first_children(current, items).await
    }

    /// When the team was founded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed: created, moved on, edited or closed. Lists partners sync take an
    /// `updatedSince` filter that finds what changed since an instant.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A person's membership of a volunteer team.
#[Object]
impl TeamMembership {
    /// The membership's opaque, globally unique id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    /// The member; null when the caller may not see the person.
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        ctx.request()?.load(self.0.person_id).await
    }

    /// The member's role in the team.
    async fn role(&self) -> TeamRole {
        self.0.role
    }

    /// When the member joined.
    async fn joined_at(&self) -> DateTime<Utc> {
        self.0.joined_at
    }

    /// When it last changed: created, moved on, edited or closed. Lists partners sync take an
    /// `updatedSince` filter that finds what changed since an instant.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A volunteer activity: a time window, a place, a capacity and a sign-up window. Partner
/// activities need the community's approval before they are published.
#[Object]
impl VolunteerActivity {
    /// The activity's opaque, globally unique id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    /// The activity's title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What volunteers will do.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The volunteer area of the activity.
    async fn area(&self) -> Option<VolunteerArea> {
        self.0.area
    }

    /// The professional service category, for activities of social organisations.
    async fn service_category(&self) -> Option<ServiceCategory> {
        self.0.service_category
    }

    /// The organising organisation.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        ctx.request()?.load(self.0.organization_id).await
    }

    /// The team running the activity, if any.
    async fn team(&self, ctx: &Context<'_>) -> Result<Option<VolunteerTeam>> {
        ctx.request()?.load_opt(self.0.team_id).await
    }

    /// The community where it takes place.
    async fn community(&self, ctx: &Context<'_>) -> Result<Option<AdminUnit>> {
        ctx.request()?.load(self.0.community_id).await
    }

    /// The service centre where it takes place, if it is in one.
    async fn centre(&self, ctx: &Context<'_>) -> Result<Option<ServiceCentre>> {
        ctx.request()?.load_opt(self.0.centre_id).await
    }

    /// Where it takes place, when not in a centre.
    async fn place(&self) -> Option<&str> {
        self.0.place.as_deref()
    }

    /// When it starts.
    async fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }

    /// When it ends.
    async fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at
    }

    /// When sign-ups open.
    async fn signup_opens_at(&self) -> DateTime<Utc> {
        self.0.signup_opens_at
    }

    /// When sign-ups close.
    async fn signup_closes_at(&self) -> DateTime<Utc> {
        self.0.signup_closes_at
    }

    /// How many volunteers it takes.
    async fn capacity(&self) -> i32 {
        self.0.capacity
    }

    /// Whether sign-ups are approved at once, without the organiser.
    async fn self_scheduling(&self) -> bool {
        self.0.self_scheduling
    }

    /// Where the activity stands.
    async fn status(&self) -> ActivityStatus {
        self.0.status
    }

    /// The sign-ups the caller may see, oldest first: at most 100 (all of them through
    /// `activitySignups`).
    async fn signups(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many, 1 to 100; 100 when left out.")] first: Option<i32>,
    ) -> Result<Vec<ActivitySignup>> {
        let column = activity_signup::Column::ActivityId;
        ctx.request()?
            .children(column, self.0.id, lists::ACTIVITY_SIGNUPS, first)
            .await
    }

    /// When it last changed: created, moved on, edited or closed. Lists partners sync take an
    /// `updatedSince` filter that finds what changed since an instant.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A volunteer's sign-up for an activity, with its attendance.
#[Object]
impl ActivitySignup {
    /// The sign-up's opaque, globally unique id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    /// The activity.
    async fn activity(&self, ctx: &Context<'_>) -> Result<Option<VolunteerActivity>> {
        ctx.request()?.load(self.0.activity_id).await
    }

    /// The volunteer; null when the caller may not see the person.
    async fn volunteer(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        ctx.request()?.load(self.0.person_id).await
    }

    /// Where the sign-up stands.
    async fn status(&self) -> SignupStatus {
        self.0.status
    }

    /// When the volunteer checked in.
    async fn checked_in_at(&self) -> Option<DateTime<Utc>> {
        self.0.checked_in_at
    }

    /// When the volunteer checked out.
    async fn checked_out_at(&self) -> Option<DateTime<Utc>> {
        self.0.checked_out_at
    }

    /// When the volunteer signed up.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed: created, moved on, edited or closed. Lists partners sync take an
    /// `updatedSince` filter that finds what changed since an instant.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// Service time from checked-out attendance, confirmed by the recording organisation. Records
/// are never edited: a correction is a new record with a reason that points at the original.
#[Object]
impl ServiceRecord {
    /// The record's opaque, globally unique id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    /// The volunteer; null when the caller may not see the person.
    async fn volunteer(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        ctx.request()?.load(self.0.person_id).await
    }

    /// The organisation that recorded (and confirms) the service.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        ctx.request()?.load(self.0.organization_id).await
    }

    /// The volunteer's own unit at the time of service, for reports to that unit.
    async fn member_unit(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        ctx.request()?.load_opt(self.0.member_unit_id).await
    }

    /// The community served.
    async fn community(&self, ctx: &Context<'_>) -> Result<Option<AdminUnit>> {
        ctx.request()?.load(self.0.community_id).await
    }

    /// The activity served in, if any.
    async fn activity(&self, ctx: &Context<'_>) -> Result<Option<VolunteerActivity>> {
        ctx.request()?.load_opt(self.0.activity_id).await
    }

    /// The volunteer area of the service.
    async fn area(&self) -> Option<VolunteerArea> {
        self.0.area
    }

    /// When the service started.
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }

    /// When the service ended.
    async fn ended_at(&self) -> DateTime<Utc> {
        self.0.ended_at
    }

    /// Minutes credited; negative only in a correction.
    async fn minutes(&self) -> i32 {
        self.0.minutes
    }

    /// Whether the record counts yet.
    async fn status(&self) -> RecordStatus {
        self.0.status
    }

    /// For a correction: the record it corrects.
    async fn corrects(&self, ctx: &Context<'_>) -> Result<Option<ServiceRecord>> {
        ctx.request()?.load_opt(self.0.corrects_id).await
    }

    /// For a correction: why it was made.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }

    /// When the recording organisation confirmed it.
    async fn confirmed_at(&self) -> Option<DateTime<Utc>> {
        self.0.confirmed_at
    }

    /// When it last changed: created, moved on, edited or closed. Lists partners sync take an
    /// `updatedSince` filter that finds what changed since an instant.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A volunteer's confirmed service time, in total and broken down; corrections included.
pub struct ServiceHours(pub crate::domain::volunteering::HoursTotals);

/// A volunteer's confirmed service time, in total and by month, area and organisation, counting
/// the records the caller may see.
#[Object]
impl ServiceHours {
    /// All confirmed minutes.
    async fn total_minutes(&self) -> i64 {
        self.0.total_minutes
    }

    /// By calendar month in China Standard Time, oldest first: at most 100 months.
    async fn by_month(
        &self,
        #[graphql(desc = "At most this many, 1 to 100; 100 when left out.")] first: Option<i32>,
    ) -> Result<Vec<MonthlyServiceHours>> {
        let items = lists::HOURS_BY_MONTH.items(first).or_gql()?;
        Ok(self
            .0
            .by_month
            .iter()
            .take(items)
            .map(|(month, minutes)| MonthlyServiceHours {
                month: month.clone(),
                minutes: *minutes,
            })
            .collect())
    }

    /// By volunteer area.
    async fn by_area(&self) -> Vec<AreaServiceHours> {
        self.0
            .by_area
            .iter()
            .map(|(area, minutes)| AreaServiceHours {
                area: *area,
                minutes: *minutes,
            })
            .collect()
    }

    /// By recording organisation: at most 100 organisations.
    async fn by_organization(
        &self,
        #[graphql(desc = "At most this many, 1 to 100; 100 when left out.")] first: Option<i32>,
    ) -> Result<Vec<OrganizationServiceHours>> {
        let items = lists::HOURS_BY_ORGANIZATION.items(first).or_gql()?;
        Ok(self
            .0
            .by_organization
            .iter()
            .take(items)
            .map(|(organization_id, minutes)| OrganizationServiceHours {
                organization_id: *organization_id,
                minutes: *minutes,
            })
            .collect())
    }
}

/// Confirmed service minutes in one month.
#[derive(SimpleObject)]
pub struct MonthlyServiceHours {
    /// The month, as `YYYY-MM` in China Standard Time.
    month: String,
    /// Confirmed minutes.
    minutes: i64,
}

/// Confirmed service minutes in one volunteer area.
#[derive(SimpleObject)]
pub struct AreaServiceHours {
    /// The area; null for services outside the six areas.
    area: Option<VolunteerArea>,
    /// Confirmed minutes.
    minutes: i64,
}

/// Confirmed service minutes recorded by one organisation.
pub struct OrganizationServiceHours {
    organization_id: i64,
    minutes: i64,
}

/// Confirmed service minutes recorded by one organisation.
#[Object]
impl OrganizationServiceHours {
    /// The recording organisation.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        ctx.request()?.load(self.organization_id).await
    }

    /// Confirmed minutes.
    async fn minutes(&self) -> i64 {
        self.minutes
    }
}

/// A certificate of a volunteer's confirmed service with one organisation over a period. It
/// names no one: anyone holding the number can check what it certifies.
pub struct ServiceCertificate(pub crate::domain::volunteering::Certificate);

/// A certificate of a volunteer's confirmed service with one organisation over a period. It
/// names no one: anyone holding the number can check what it certifies.
#[Object]
impl ServiceCertificate {
    /// The certificate's number, which verifies it.
    async fn number(&self) -> &str {
        &self.0.certificate.number
    }

    /// The issuing organisation, which recorded and confirmed every service listed.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        ctx.request()?
            .load(self.0.certificate.organization_id)
            .await
    }

    /// The start of the period certified.
    async fn period_from(&self) -> DateTime<Utc> {
        self.0.certificate.period_from
    }

    /// The end (exclusive) of the period certified.
    async fn period_to(&self) -> DateTime<Utc> {
        self.0.certificate.period_to
    }

    /// The confirmed minutes certified, corrections included.
    async fn total_minutes(&self) -> i32 {
        self.0.certificate.total_minutes
    }

    /// When it was issued.
    async fn issued_at(&self) -> DateTime<Utc> {
        self.0.certificate.issued_at
    }

    /// The services behind it, oldest first: at most the first 100 (`totalMinutes` counts
    /// them all).
    async fn services(
        &self,
        #[graphql(desc = "At most this many, 1 to 100; 100 when left out.")] first: Option<i32>,
    ) -> Result<Vec<CertifiedService>> {
        let items = lists::CERTIFIED_SERVICES.items(first).or_gql()?;
        Ok(self
            .0
            .services
            .iter()
            .take(items)
            .map(|service| CertifiedService {
                activity_title: service.activity_title.clone(),
                area: service.area,
                started_at: service.started_at,
                ended_at: service.ended_at,
                minutes: service.minutes,
            })
            .collect())
    }
}

/// One service a certificate lists.
#[derive(SimpleObject)]
pub struct CertifiedService {
    /// The activity served in, if any.
    activity_title: Option<String>,
    /// The volunteer area.
    area: Option<VolunteerArea>,
    /// When the service started.
    started_at: DateTime<Utc>,
    /// When it ended.
    ended_at: DateTime<Utc>,
    /// Confirmed minutes, corrections included.
    minutes: i64,
}

/// One entry of a volunteer's points ledger: a credit from confirmed service, or a debit (a
/// redemption in the "love supermarket", or a correction taking service back). Entries are
/// never changed or removed.
pub struct PointsEntry(pub entities::points_entry::Model);

/// One entry of a volunteer's points ledger: a credit from confirmed service, or a debit (a
/// redemption in the "love supermarket", or a correction taking service back). Entries are
/// never changed or removed.
#[Object]
impl PointsEntry {
    /// Points credited (positive) or debited (negative).
    async fn points(&self) -> i32 {
        self.0.points
    }

    /// The balance after this entry; never negative.
    async fn balance(&self) -> i32 {
        self.0.balance
    }

    /// The confirmed service record it credits (or a correction debits), if any.
    async fn service_record(&self, ctx: &Context<'_>) -> Result<Option<ServiceRecord>> {
        ctx.request()?.load_opt(self.0.service_record_id).await
    }

    /// What it is for.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    /// When it was written.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A volunteer's points: the balance and the ledger behind it.
pub struct PointsAccount(pub Vec<entities::points_entry::Model>);

/// A volunteer's points: the balance and the ledger behind it.
#[Object]
impl PointsAccount {
    /// The points the volunteer holds.
    async fn balance(&self) -> i32 {
        self.0.first().map_or(0, |latest| latest.balance)
    }

    /// The entries, newest first: at most the newest 100.
    async fn entries(
        &self,
        #[graphql(desc = "At most this many, 1 to 100; 100 when left out.")] first: Option<i32>,
    ) -> Result<Vec<PointsEntry>> {
        let items = lists::POINTS_ENTRIES.items(first).or_gql()?;
        Ok(self
            .0
            .iter()
            .take(items)
            .cloned()
            .map(PointsEntry)
            .collect())
    }
}
