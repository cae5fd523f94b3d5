use sea_orm::entity::prelude::*;

/// Who claimed a wish.
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
pub enum ClaimantKind {
    /// A partner organisation.
    Organization,
    /// A Party member.
    PartyMember,
    /// A volunteer.
    Volunteer,
}

/// Where a claim of a wish stands.
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
pub enum ClaimStatus {
    /// The claimant is fulfilling the wish.
    Active,
    /// Delivered, waiting for confirmation.
    Delivered,
    /// Confirmed as fulfilled.
    Fulfilled,
    /// Released by the claimant; the wish reopened.
    Released,
    /// Revoked by staff (overdue or disputed); the wish reopened.
    Revoked,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "wish_claim")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub wish_id: i64,
    pub claimant_kind: ClaimantKind,
    pub claimant_organization_id: Option<i64>,
    pub claimant_person_id: Option<i64>,
    pub status: ClaimStatus,
    pub due_at: DateTimeUtc,
    pub evidence_note: Option<String>,
    /// JSON array of photo URLs.
    pub evidence_urls: Option<String>,
    pub rating: Option<i16>,
    pub feedback: Option<String>,
    pub closed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::keeps_updated_at!();
