use sea_orm::entity::prelude::*;

/// Whether an API client's credentials and tokens are honoured.
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
pub enum ApiClientStatus {
    Active,
    Suspended,
    Revoked,
}

/// A partner system's OAuth2 client (client-credentials grant).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "api_client")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    #[sea_orm(unique)]
    pub client_id: String,
    pub secret_hash: String,
    pub name: String,
    /// Space-separated scopes.
    pub scopes: String,
    pub status: ApiClientStatus,
    pub created_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    /// Query-cost points the client's bucket holds; null for the server's default.
    pub budget_capacity: Option<i32>,
    /// Points the client's bucket restores a second; null for the server's default.
    pub budget_restore_rate: Option<i32>,
    /// Whether the client may run only its trusted documents (see `trusted_document`).
    pub trusted_documents_only: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
