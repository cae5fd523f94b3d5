//! Trusted documents (persisted operations): the GraphQL documents an organisation registers
//! for one of its API clients, by their SHA-256; and the switch that lets a client run nothing
//! else.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::ddl::{self, fk, reference, unique};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &["trusted_document"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("api_client")
                    .add_column(boolean("trusted_documents_only").default(false))
                    .to_owned(),
            )
            .await?;
        let trusted_document = ddl::table("trusted_document")
            .col(reference("api_client_id"))
            // `sha256:` and the 64 hex digits of the SHA-256 of `body`.
            .col(string_len("document_id", 71))
            .col(text("body"))
            .col(timestamp_with_time_zone("registered_at"))
            .foreign_key(&mut fk("trusted_document", "api_client_id", "api_client"))
            .take();
        ddl::create(
            manager,
            vec![trusted_document],
            vec![unique(
                "ux_trusted_document_client_document",
                "trusted_document",
                &["api_client_id", "document_id"],
                None,
            )],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        ddl::drop(manager, TABLES, &[]).await?;
        manager
            .alter_table(
                Table::alter()
                    .table("api_client")
                    .drop_column("trusted_documents_only")
                    .to_owned(),
            )
            .await
    }
}
