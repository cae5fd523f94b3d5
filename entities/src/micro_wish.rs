use sea_orm::entity::prelude::*;

/// What a micro-wish asks for.
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
pub enum WishCategory {
    /// Daily necessities (a wheelchair, a quilt, groceries).
    DailyNecessities,
    /// Study (books, tutoring).
    Study,
    /// Health care (a check-up, medicine delivery).
    HealthCare,
    /// Home repair (a window, a leaking pipe).
    HomeRepair,
    /// Companionship (visits, a chat, a walk).
    Companionship,
    /// Anything else.
    Other,
}

/// Where a micro-wish stands in its life cycle.
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
pub enum WishStatus {
    /// Submitted, waiting for the community's review.
    Submitted,
    /// Rejected by the community.
    Rejected,
    /// Published and waiting for a claimant.
    Open,
    /// Claimed; the claimant is fulfilling it.
    Claimed,
    /// Delivered by the claimant, waiting for confirmation.
    Delivered,
    /// The delivery is disputed; staff decide.
    Disputed,
    /// Fulfilled and confirmed.
    Realized,
    /// Withdrawn by its poster.
    Withdrawn,
    /// Taken down by staff.
    TakenDown,
    /// Past its deadline without being claimed.
    Expired,
}

/// A resident's small, concrete wish (微心愿).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "micro_wish")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub beneficiary_person_id: i64,
    pub poster_person_id: i64,
    pub community_id: i64,
    pub grid_id: i64,
    pub title: String,
    pub description: String,
    pub category: WishCategory,
    pub estimated_value_cents: i32,
    pub deadline: DateTimeUtc,
    pub status: WishStatus,
    pub version: i32,
    pub review_note: Option<String>,
    pub published_at: Option<DateTimeUtc>,
    pub realized_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::keeps_updated_at!();
