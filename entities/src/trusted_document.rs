use sea_orm::entity::prelude::*;

/// A GraphQL document an organisation registered for one of its API clients (a persisted
/// operation): the client may send its id instead of its text, and a client that runs trusted
/// documents only may run nothing else.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "trusted_document")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub api_client_id: i64,
    /// `sha256:` and the 64 lowercase hex digits of the SHA-256 of `body`.
    pub document_id: String,
    /// The document's text, exactly as registered.
    pub body: String,
    pub registered_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
