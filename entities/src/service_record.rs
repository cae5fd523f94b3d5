use sea_orm::entity::prelude::*;

use crate::volunteer_team::VolunteerArea;

/// Whether a service record counts yet.
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
pub enum RecordStatus {
    /// Waiting for the recording organisation's confirmation.
    Pending,
    /// Confirmed and immutable.
    Confirmed,
}

/// Service time from checked-out attendance. Append-only: corrections are new records.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "service_record")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub person_id: i64,
    pub organization_id: i64,
    /// The person's unit at the time of service.
    pub member_unit_id: Option<i64>,
    pub community_id: i64,
    pub activity_id: Option<i64>,
    pub signup_id: Option<i64>,
    pub area: Option<VolunteerArea>,
    pub started_at: DateTimeUtc,
    pub ended_at: DateTimeUtc,
    /// Negative only in a compensating correction.
    pub minutes: i32,
    pub status: RecordStatus,
    pub corrects_id: Option<i64>,
    pub reason: Option<String>,
    pub confirmed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// When the row last changed.
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::keeps_updated_at!();
