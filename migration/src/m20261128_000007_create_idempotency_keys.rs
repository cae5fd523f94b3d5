//! Idempotency keys: a retried mutation with the same key and input returns its first result.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::ddl::{self, index, one_of, unique};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &["idempotency_key"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let idempotency_key = ddl::table("idempotency_key")
            // The token subject of the caller: keys are scoped to the caller.
            .col(string_len("caller", 200))
            .col(string_len("key", 200))
            .col(string_len("operation", 64))
            // SHA-256 (hex) of the operation's input, to tell a retry from a different request.
            .col(string_len("fingerprint", 64))
            .col(one_of("status", &["pending", "done"]))
            // The first result (JSON), once there is one.
            .col(text_null("result"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("expires_at"))
            .take();
        ddl::create(
            manager,
            vec![idempotency_key],
            vec![
                unique(
                    "ux_idempotency_key_caller_key",
                    "idempotency_key",
                    &["caller", "key"],
                    None,
                ),
                index("idempotency_key", &["expires_at"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        ddl::drop(manager, TABLES, &[]).await
    }
}
