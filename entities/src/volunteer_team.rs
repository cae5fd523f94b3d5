use sea_orm::entity::prelude::*;

/// The six areas of the district's volunteer service teams.
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
pub enum VolunteerArea {
    /// Elderly care and medical services.
    ElderlyCareMedical,
    /// Poverty relief.
    PovertyRelief,
    /// Dispute mediation.
    DisputeMediation,
    /// Legal aid.
    LegalAid,
    /// Community activities.
    CommunityActivities,
    /// Employment guidance.
    EmploymentGuidance,
}

/// Whether a team is active.
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
pub enum TeamStatus {
    /// Active.
    Active,
    /// Dissolved; kept for the record.
    Dissolved,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "volunteer_team")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub area: VolunteerArea,
    pub community_id: i64,
    pub organization_id: i64,
    pub leader_person_id: Option<i64>,
    pub status: TeamStatus,
    pub created_at: DateTimeUtc,
    /// When the row last changed.
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::keeps_updated_at!();
