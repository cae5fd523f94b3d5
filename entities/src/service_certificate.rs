use sea_orm::entity::prelude::*;

/// Where a service certificate stands.
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
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(32))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum CertificateStatus {
    /// Issued and valid.
    Issued,
}

/// A certificate of a volunteer's confirmed service with one organisation over a period,
/// verifiable by its number.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "service_certificate")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub number: String,
    pub person_id: i64,
    pub organization_id: i64,
    pub period_from: DateTimeUtc,
    pub period_to: DateTimeUtc,
    pub total_minutes: i32,
    pub status: CertificateStatus,
    pub issued_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
