use sea_orm::entity::prelude::*;

/// What kind of organisation a partner is.
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
pub enum OrganizationKind {
    /// A social organisation (社会组织).
    SocialOrganization,
    /// A business (企业).
    Business,
    /// The Party organisation of an in-office unit (机关单位党组织).
    PartyUnit,
    /// A district department.
    Department,
    /// A community's own committee.
    Community,
}

/// Whether an organisation may act on the platform.
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
pub enum OrganizationStatus {
    /// Active.
    Active,
    /// Suspended: its clients and accounts cannot act.
    Suspended,
    /// Dissolved; kept for the record.
    Dissolved,
}

/// The professional service categories brought in through social organisations.
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
pub enum ServiceCategory {
    /// Care for elders and children.
    ElderChildCare,
    /// Green travel.
    GreenTravel,
    /// Housekeeping.
    Housekeeping,
    /// Fresh-food delivery.
    FreshFoodDelivery,
    /// Education and training.
    EducationTraining,
    /// Health care.
    HealthCare,
    /// Legal services.
    LegalServices,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "organization")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub kind: OrganizationKind,
    #[sea_orm(unique)]
    pub credit_code: Option<String>,
    pub status: OrganizationStatus,
    pub community_id: Option<i64>,
    pub department_id: Option<i64>,
    pub service_category: Option<ServiceCategory>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
