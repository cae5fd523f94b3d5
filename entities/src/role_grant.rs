use sea_orm::entity::prelude::*;

/// A role an account holds, scoped to an admin unit (and everything below it) or to an
/// organisation.
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
pub enum Role {
    /// Staff of the district.
    DistrictStaff,
    /// Staff of a sub-district.
    SubdistrictStaff,
    /// Staff of a community.
    CommunityStaff,
    /// Staff of a grid (grid leader, instructor, administrator).
    GridStaff,
    /// A handler in a district department.
    DepartmentHandler,
    /// An administrator of a partner organisation.
    OrgAdmin,
    /// An administrator of an in-office Party unit.
    PartyUnitAdmin,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "role_grant")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub role: Role,
    pub unit_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
