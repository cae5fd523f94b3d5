//! Refresh tokens of signed-in accounts, stored only as digests and grouped in families so that
//! reuse of a rotated token can revoke every token of its sign-in.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::ddl::{self, fk, index, one_of, reference};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &["refresh_token"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let refresh_token = ddl::table("refresh_token")
            .col(reference("account_id"))
            // One family per sign-in: each rotation adds a token to it.
            .col(string_len("family_id", 36))
            // The SHA-256 of the token (hex): the token itself is never stored.
            .col(string_len_uniq("token_hash", 64))
            .col(one_of("status", &["active", "rotated", "revoked"]))
            .col(timestamp_with_time_zone("expires_at"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone_null("rotated_at"))
            .col(timestamp_with_time_zone_null("revoked_at"))
            .foreign_key(&mut fk("refresh_token", "account_id", "account"))
            .take();

        ddl::create(
            manager,
            vec![refresh_token],
            vec![
                index("refresh_token", &["family_id"]),
                index("refresh_token", &["account_id"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        ddl::drop(manager, TABLES, &[]).await
    }
}
