use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entities::admin_unit::{FeaturedType, UnitLevel};
use entities::member_registration::MemberRegistrationStatus;
use entities::micro_wish::WishStatus;
use entities::org_registration::OrgRegistrationStatus;
use entities::service_centre::CentreKind;
use entities::staff_assignment::StaffRole;
use entities::{admin_unit, service_centre, staff_assignment};

use super::nodes::{AdminUnit, Department, Person, ServiceCentre, StaffAssignment};
use crate::domain::statistics::{UnitRegistrationFigures, UnitWishFigures};
use crate::graphql::context::ContextExt;
use crate::graphql::errors::OrGql;
use crate::graphql::ids::NodeType;
use crate::graphql::lists;
use crate::graphql::loaders::{
    ChildrenOf, OpenWishCount, OpenWishesInGrid, RegistrationFigures, WishFigures,
};

/// A unit of the district's organisation: the district, a sub-district (街道), a community (社区)
/// or a grid (网格). Units nest strictly in that order.
#[Object]
impl AdminUnit {
    /// The unit's opaque, globally unique id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    /// The unit's administrative code, unique in the district.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// The unit's name, e.g. 七一社区.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Where the unit sits in the hierarchy.
    async fn level(&self) -> UnitLevel {
        self.0.level
    }

    /// Registered households in the unit (for a grid, 200–300).
    async fn households(&self) -> i32 {
        self.0.households
    }

    /// A community's featured theme, if it has one.
    async fn featured_type(&self) -> Option<FeaturedType> {
        self.0.featured_type
    }

    /// Whether a community has passed the district's standardisation (9 aspects, 25 standards).
    async fn standardised(&self) -> bool {
        self.0.standardised
    }

    /// The unit this one belongs to; null for the district.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<AdminUnit>> {
        ctx.request()?.load_opt(self.0.parent_id).await
    }

    /// The units directly below this one, in id order: at most 30.
    async fn children(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many, 1 to 30; 30 when left out.")] first: Option<i32>,
    ) -> Result<Vec<AdminUnit>> {
        ctx.request()?
            .children(
                admin_unit::Column::ParentId,
                self.0.id,
                lists::UNIT_CHILDREN,
                first,
            )
            .await
    }

    /// A community's service centres (one of each of the seven kinds).
    async fn service_centres(&self, ctx: &Context<'_>) -> Result<Vec<ServiceCentre>> {
        let column = service_centre::Column::CommunityId;
        ctx.request()?
            .children(column, self.0.id, lists::SERVICE_CENTRES, None)
            .await
    }

    /// The posts currently held at this unit (for a grid: its leader, Party-building instructor
    /// and administrator): at most 10.
    async fn staff(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many, 1 to 10; 10 when left out.")] first: Option<i32>,
    ) -> Result<Vec<StaffAssignment>> {
        use staff_assignment::Column;
        let items = lists::UNIT_STAFF.items(first).or_gql()?;
        let current = ChildrenOf::new(Column::UnitId, self.0.id, lists::UNIT_STAFF.limit())
            .current(Column::EndedOn);
        ctx.request()?.first_children(current, items).await
    }

    /// How many wishes are open in this unit and everything below it.
    async fn open_wish_count(&self, ctx: &Context<'_>) -> Result<u64> {
        let request = ctx.request()?;
        let count = match self.0.level {
            UnitLevel::Grid => request.fetch(OpenWishesInGrid(self.0.id)).await?,
            _ => request.fetch(OpenWishCount(self.0.id)).await?,
        };
        Ok(count.unwrap_or_default())
    }

    /// Figures of the wishes in this unit and everything below it. Aggregates only: open to
    /// every caller.
    async fn wish_statistics(&self, ctx: &Context<'_>) -> Result<WishStatistics> {
        let figures = ctx
            .request()?
            .fetch(WishFigures(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(WishStatistics(figures))
    }

    /// Dual-reporting figures of this unit and everything below it: registrations of members
    /// and organisations, service posts, and Party members' confirmed service. Aggregates
    /// only: open to every caller.
    async fn registration_statistics(&self, ctx: &Context<'_>) -> Result<RegistrationStatistics> {
        let figures = ctx
            .request()?
            .fetch(RegistrationFigures(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(RegistrationStatistics(figures))
    }

    /// When the unit was created in Gongzhi.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A post held by a person at a unit over a period, such as a grid's leader (网格长).
#[Object]
impl StaffAssignment {
    /// The post's opaque, globally unique id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    /// The post.
    async fn role(&self) -> StaffRole {
        self.0.role
    }

    /// Where the post is held.
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<AdminUnit>> {
        ctx.request()?.load(self.0.unit_id).await
    }

    /// Who holds the post; null when the caller may not see the person.
    async fn holder(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        ctx.request()?.load(self.0.person_id).await
    }

    /// First day in the post.
    async fn started_on(&self) -> NaiveDate {
        self.0.started_on
    }

    /// Last day in the post; null while it is held.
    async fn ended_on(&self) -> Option<NaiveDate> {
        self.0.ended_on
    }
}

/// One of the seven service centres every community has ("一有七中心").
#[Object]
impl ServiceCentre {
    /// The centre's opaque, globally unique id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    /// What the centre does.
    async fn kind(&self) -> CentreKind {
        self.0.kind
    }

    /// The centre's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Street address.
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }

    /// Opening hours, as the community publishes them.
    async fn opening_hours(&self) -> Option<&str> {
        self.0.opening_hours.as_deref()
    }

    /// The community the centre belongs to.
    async fn community(&self, ctx: &Context<'_>) -> Result<Option<AdminUnit>> {
        ctx.request()?.load(self.0.community_id).await
    }
}

/// A district department whose tasks are dispatched down to grids (petitions, safety,
/// environment, city management, civil affairs …).
#[Object]
impl Department {
    /// The department's opaque, globally unique id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    /// The department's code.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// The department's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What the department is responsible for.
    async fn duties(&self) -> Option<&str> {
        self.0.duties.as_deref()
    }
}

/// Figures of the wishes in a unit and everything below it.
pub struct WishStatistics(UnitWishFigures);

impl WishStatistics {
    fn count(&self, statuses: &[WishStatus]) -> u64 {
        self.0
            .by_status
            .iter()
            .filter(|(status, _)| statuses.contains(status))
            .map(|(_, count)| count)
            .sum()
    }
}

/// How many wishes of a status.
#[derive(SimpleObject)]
pub struct WishStatusCount {
    /// The status.
    pub status: WishStatus,
    /// How many wishes are in it.
    pub count: u64,
}

/// Figures of the wishes in a unit and everything below it.
#[Object]
impl WishStatistics {
    /// All wishes, whatever their status.
    async fn total(&self) -> u64 {
        self.0.by_status.iter().map(|(_, count)| count).sum()
    }

    /// Wishes by status (statuses without wishes are left out).
    async fn by_status(&self) -> Vec<WishStatusCount> {
        self.0
            .by_status
            .iter()
            .map(|&(status, count)| WishStatusCount { status, count })
            .collect()
    }

    /// Realised wishes as a share of the wishes whose outcome is known (realised, expired,
    /// withdrawn or taken down after publishing); null before any is.
    async fn fulfilment_rate(&self) -> Option<f64> {
        let realized = self.count(&[WishStatus::Realized]);
        let settled = self.count(&[
            WishStatus::Realized,
            WishStatus::Expired,
            WishStatus::Withdrawn,
            WishStatus::TakenDown,
        ]);
        (settled > 0).then(|| realized as f64 / settled as f64)
    }

    /// The median number of days from publishing to realisation; null before any wish is
    /// realised.
    async fn median_days_to_realize(&self) -> Option<f64> {
        self.0.median_days_to_realize
    }
}

/// Dual-reporting figures of a unit and everything below it.
pub struct RegistrationStatistics(UnitRegistrationFigures);

/// How many member registrations are in a status.
#[derive(SimpleObject)]
pub struct MemberRegistrationStatusCount {
    /// The status.
    pub status: MemberRegistrationStatus,
    /// How many registrations are in it.
    pub count: u64,
}

/// How many organisation registrations are in a status.
#[derive(SimpleObject)]
pub struct OrgRegistrationStatusCount {
    /// The status.
    pub status: OrgRegistrationStatus,
    /// How many registrations are in it.
    pub count: u64,
}

/// Dual-reporting figures of a unit and everything below it.
#[Object]
impl RegistrationStatistics {
    /// Party members registered now: their registrations are accepted.
    async fn registered_members(&self) -> u64 {
        self.0
            .members_by_status
            .iter()
            .filter(|(status, _)| *status == MemberRegistrationStatus::Accepted)
            .map(|(_, count)| count)
            .sum()
    }

    /// Member registrations by status, over all time (statuses without any are left out).
    async fn member_registrations_by_status(&self) -> Vec<MemberRegistrationStatusCount> {
        self.0
            .members_by_status
            .iter()
            .map(|&(status, count)| MemberRegistrationStatusCount { status, count })
            .collect()
    }

    /// Organisations registered now: their registrations are accepted.
    async fn registered_organizations(&self) -> u64 {
        self.0
            .organizations_by_status
            .iter()
            .filter(|(status, _)| *status == OrgRegistrationStatus::Accepted)
            .map(|(_, count)| count)
            .sum()
    }

    /// Organisation registrations by status, over all years (statuses without any are left
    /// out).
    async fn org_registrations_by_status(&self) -> Vec<OrgRegistrationStatusCount> {
        self.0
            .organizations_by_status
            .iter()
            .map(|&(status, count)| OrgRegistrationStatusCount { status, count })
            .collect()
    }

    /// Service posts open for applications.
    async fn open_posts(&self) -> u64 {
        self.0.open_posts
    }

    /// The head counts of the open posts, summed.
    async fn open_post_places(&self) -> u64 {
        self.0.open_places
    }

    /// Members holding a post now (confirmed claims), open or closed.
    async fn post_holders(&self) -> u64 {
        self.0.post_holders
    }

    /// Minutes of confirmed service Party members gave in these communities.
    async fn member_service_minutes(&self) -> i64 {
        self.0.service_minutes
    }

    /// How many confirmed service records those minutes come from.
    async fn member_service_records(&self) -> u64 {
        self.0.service_records
    }

    /// How many Party members gave that service.
    async fn serving_members(&self) -> u64 {
        self.0.serving_members
    }
}
