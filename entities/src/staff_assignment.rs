use sea_orm::entity::prelude::*;

/// A post held by a person at an admin unit.
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
pub enum StaffRole {
    /// Grid leader (网格长).
    GridLeader,
    /// Party-building instructor of a grid (党建指导员).
    PartyInstructor,
    /// Grid administrator (网格管理员).
    GridAdministrator,
    /// Community Party secretary (社区书记).
    CommunitySecretary,
    /// Full-time deputy secretary of a community (专职副书记).
    CommunityDeputySecretary,
    /// Party affairs officer of a community (党务工作者).
    PartyAffairsOfficer,
    /// Lead at a sub-district (街道负责人).
    SubdistrictLead,
    /// Officer at the district.
    DistrictOfficer,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "staff_assignment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit_id: i64,
    pub person_id: i64,
    pub role: StaffRole,
    pub started_on: Date,
    pub ended_on: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
