//! Schema migrations of Gongzhi. Every migration runs on SQLite (the embedded default) and on
//! PostgreSQL (production) alike, so only portable DDL is used: checks, foreign keys and partial
//! unique indexes hold the domain's invariants in the database on both.

pub use sea_orm_migration::prelude::*;

mod ddl;
mod m20261128_000001_create_structure;
mod m20261128_000002_create_people;
mod m20261128_000003_create_dual_reporting;
mod m20261128_000004_create_volunteering;
mod m20261128_000005_create_micro_wishes;
mod m20261128_000006_create_refresh_tokens;
mod m20261128_000007_create_idempotency_keys;
mod m20261128_000008_create_volunteer_credentials;
mod m20261128_000009_create_member_reports;
mod m20261128_000010_add_post_claim_closed_at;
mod m20261129_000011_add_updated_at;
mod m20261130_000012_add_api_client_budget;
mod m20261130_000013_create_trusted_documents;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_create_structure::Migration),
            Box::new(m20261128_000002_create_people::Migration),
            Box::new(m20261128_000003_create_dual_reporting::Migration),
            Box::new(m20261128_000004_create_volunteering::Migration),
            Box::new(m20261128_000005_create_micro_wishes::Migration),
            Box::new(m20261128_000006_create_refresh_tokens::Migration),
            Box::new(m20261128_000007_create_idempotency_keys::Migration),
            Box::new(m20261128_000008_create_volunteer_credentials::Migration),
            Box::new(m20261128_000009_create_member_reports::Migration),
            Box::new(m20261128_000010_add_post_claim_closed_at::Migration),
            Box::new(m20261129_000011_add_updated_at::Migration),
            Box::new(m20261130_000012_add_api_client_budget::Migration),
            Box::new(m20261130_000013_create_trusted_documents::Migration),
        ]
    }
}
