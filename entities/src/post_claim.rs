use sea_orm::entity::prelude::*;

/// Where a member's claim of a service post stands.
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
pub enum PostClaimStatus {
    /// Applied, waiting for staff.
    Applied,
    /// Confirmed: the member holds the post.
    Confirmed,
    /// Rejected by staff.
    Rejected,
    /// Withdrawn by the member.
    Withdrawn,
    /// The member no longer holds the post.
    Ended,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "post_claim")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub post_id: i64,
    pub party_member_id: i64,
    pub status: PostClaimStatus,
    pub decided_at: Option<DateTimeUtc>,
    /// When the claim was withdrawn or ended.
    pub closed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// When the row last changed.
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::keeps_updated_at!();
