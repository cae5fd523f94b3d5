use sea_orm::entity::prelude::*;

/// Whether the first request with a key has finished.
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
pub enum IdempotencyStatus {
    /// The first request is still running.
    Pending,
    /// The first request finished; `result` holds its outcome.
    Done,
}

/// A caller's idempotency key and the first result of the mutation it was sent with.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "idempotency_key")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub caller: String,
    pub key: String,
    pub operation: String,
    pub fingerprint: String,
    pub status: IdempotencyStatus,
    pub result: Option<String>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
