use sea_orm::entity::prelude::*;

/// The seven service centres every community has ("一有七中心").
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
pub enum CentreKind {
    /// Convenience services (便民服务中心).
    Convenience,
    /// Comprehensive governance (综治中心).
    ComprehensiveGovernance,
    /// Culture and sports (文体活动中心).
    CultureSports,
    /// Health services (卫生服务中心).
    Health,
    /// Day care for elders (日间照料中心).
    ElderDayCare,
    /// Services for children (儿童服务中心).
    Children,
    /// Volunteer services (志愿服务中心).
    Volunteer,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "service_centre")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub community_id: i64,
    pub kind: CentreKind,
    pub name: String,
    pub address: Option<String>,
    pub opening_hours: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
