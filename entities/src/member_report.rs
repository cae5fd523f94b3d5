use sea_orm::entity::prelude::*;

/// Where a member's half-yearly self-report stands.
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
pub enum MemberReportStatus {
    /// Pre-filled from the member's records, not yet edited.
    Draft,
    /// Edited by the member: it has a summary.
    Edited,
    /// Submitted to the member's branch; it no longer changes.
    Submitted,
}

/// A Party member's half-yearly report (双报告) to their own branch.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "member_report")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub party_member_id: i64,
    /// The member's unit when the report was drafted.
    pub organization_id: i64,
    /// The community the member was registered with in the half-year.
    pub community_id: Option<i64>,
    pub year: i32,
    /// 1 (January–June) or 2 (July–December), China Standard Time.
    pub half: i16,
    pub status: MemberReportStatus,
    pub service_minutes: i64,
    pub service_records: i32,
    pub realised_wishes: i32,
    pub posts_held: i32,
    pub summary: Option<String>,
    pub remarks: Option<String>,
    pub submitted_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::keeps_updated_at!();
