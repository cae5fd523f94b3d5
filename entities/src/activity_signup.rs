use sea_orm::entity::prelude::*;

/// Where a volunteer's sign-up for an activity stands.
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
pub enum SignupStatus {
    /// Applied, waiting for the organiser.
    Applied,
    /// Approved: holds a place.
    Approved,
    /// On the waiting list; moves up when a place frees.
    Waitlisted,
    /// Cancelled before the deadline.
    Cancelled,
    /// Checked in.
    CheckedIn,
    /// Checked out: attendance is complete.
    CheckedOut,
    /// Did not come.
    NoShow,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "activity_signup")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub activity_id: i64,
    pub person_id: i64,
    pub status: SignupStatus,
    pub checked_in_at: Option<DateTimeUtc>,
    pub checked_out_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::keeps_updated_at!();
