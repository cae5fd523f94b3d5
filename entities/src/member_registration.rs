use sea_orm::entity::prelude::*;

/// Where a Party member's registration with their residential community stands.
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
pub enum MemberRegistrationStatus {
    /// Submitted, waiting for the community to confirm residence.
    Submitted,
    /// Accepted: the member is registered and serves in the assigned grid.
    Accepted,
    /// Rejected by the community.
    Rejected,
    /// Closed by a transfer to another community.
    Transferred,
    /// Closed: the member is no longer registered here.
    Deregistered,
}

/// Who submitted a member registration.
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
pub enum SubmittedBy {
    /// The member themself.
    Member,
    /// The member's unit, in bulk.
    Unit,
}

/// A serving Party member's registration (报到) with the community where they live.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "member_registration")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub party_member_id: i64,
    pub community_id: i64,
    pub grid_id: Option<i64>,
    /// The member's unit at the time of registration.
    pub organization_id: i64,
    pub status: MemberRegistrationStatus,
    pub submitted_by: SubmittedBy,
    pub decision_note: Option<String>,
    pub transferred_to_id: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    pub receipt_issued_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::keeps_updated_at!();
