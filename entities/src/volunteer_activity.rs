use sea_orm::entity::prelude::*;

use crate::organization::ServiceCategory;
use crate::volunteer_team::VolunteerArea;

/// Where a volunteer activity stands.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(32))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum ActivityStatus {
    /// Being prepared by its organiser.
    Draft,
    /// A partner's activity waiting for the community's approval.
    PendingApproval,
    /// Published: open for sign-ups in its sign-up window.
    Published,
    /// Recruitment closed; not started yet.
    RecruitmentClosed,
    /// Under way.
    InProgress,
    /// Over; attendance is being recorded.
    Ended,
    /// Service records confirmed.
    RecordsConfirmed,
    /// Cancelled before it started.
    Cancelled,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "volunteer_activity")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    pub team_id: Option<i64>,
    pub community_id: i64,
    pub title: String,
    pub description: Option<String>,
    pub area: Option<VolunteerArea>,
    pub service_category: Option<ServiceCategory>,
    pub centre_id: Option<i64>,
    pub place: Option<String>,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub signup_opens_at: DateTimeUtc,
    pub signup_closes_at: DateTimeUtc,
    pub capacity: i32,
    pub self_scheduling: bool,
    pub status: ActivityStatus,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::keeps_updated_at!();
