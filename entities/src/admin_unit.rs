use sea_orm::entity::prelude::*;

/// A level of the district's organisation.
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
pub enum UnitLevel {
    /// The district (区), the root of the hierarchy.
    District,
    /// A sub-district (街道).
    Subdistrict,
    /// A community (社区).
    Community,
    /// A grid (网格) of 200–300 households inside a community.
    Grid,
}

/// The theme a community is known for ("一社一品").
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
pub enum FeaturedType {
    /// Red (revolutionary) education.
    RedEducation,
    /// Co-building with enterprises.
    EnterpriseCobuilding,
    /// Culture and tourism.
    CultureTourism,
    /// Care for the elderly.
    ElderlyCare,
    /// Smart governance.
    SmartGovernance,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "admin_unit")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub parent_id: Option<i64>,
    pub level: UnitLevel,
    pub parent_level: Option<UnitLevel>,
    pub name: String,
    #[sea_orm(unique)]
    pub code: String,
    /// Materialised path of ids, e.g. `/1/4/37/512/`.
    #[sea_orm(unique)]
    pub path: String,
    pub households: i32,
    pub featured_type: Option<FeaturedType>,
    pub standardised: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
