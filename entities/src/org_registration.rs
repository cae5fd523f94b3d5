use sea_orm::entity::prelude::*;

/// Where an organisation's registration with a community stands.
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
pub enum OrgRegistrationStatus {
    /// Submitted, waiting for the community's review.
    Submitted,
    /// Accepted by the community.
    Accepted,
    /// Returned to the organisation for changes.
    Returned,
    /// Withdrawn by the organisation.
    Withdrawn,
}

/// An organisation's registration (报到) with a community: what it offers, needs and co-builds.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "org_registration")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    pub community_id: i64,
    pub year: i32,
    pub offers: String,
    pub needs: String,
    pub projects: String,
    pub status: OrgRegistrationStatus,
    pub review_note: Option<String>,
    pub community_rating: Option<i16>,
    pub organization_rating: Option<i16>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::keeps_updated_at!();
