use sea_orm::entity::prelude::*;

/// One entry of a volunteer's points ledger: a credit from confirmed service, or a debit
/// (a redemption, or a correction taking hours back). Append-only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "points_entry")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub person_id: i64,
    /// Positive for credits, negative for debits.
    pub points: i32,
    /// The balance after this entry; never negative.
    pub balance: i32,
    pub service_record_id: Option<i64>,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
