use sea_orm::entity::prelude::*;

/// Where a community's quarterly feedback report to a unit stands.
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
pub enum ReportStatus {
    /// Generated from the records.
    Generated,
    /// Signed by the community secretary.
    Signed,
    /// Sent to the unit.
    Sent,
    /// Acknowledged by the unit.
    Acknowledged,
}

/// A community's report (社区反馈) to a member's unit for one quarter.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "feedback_report")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub community_id: i64,
    pub organization_id: i64,
    pub year: i32,
    pub quarter: i16,
    pub status: ReportStatus,
    /// The figures as generated, as JSON.
    pub content: String,
    pub signed_by_person_id: Option<i64>,
    pub signed_at: Option<DateTimeUtc>,
    pub sent_at: Option<DateTimeUtc>,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// When the row last changed.
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::keeps_updated_at!();
