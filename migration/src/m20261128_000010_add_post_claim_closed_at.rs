//! When a claim of a service post closed: withdrawn by its applicant, or ended by its holder or
//! the community's staff.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("post_claim")
                    .add_column(timestamp_with_time_zone_null("closed_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("post_claim")
                    .drop_column("closed_at")
                    .to_owned(),
            )
            .await
    }
}
