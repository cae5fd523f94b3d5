//! An API client's own traffic budget: how many query-cost points its bucket holds and how many
//! it restores a second. Null takes the server's defaults (`GONGZHI_BUDGET_CAPACITY`,
//! `GONGZHI_BUDGET_RESTORE_RATE`); `gongzhi client set-limits` sets them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The two columns; SQLite adds one column per statement.
const COLUMNS: [&str; 2] = ["budget_capacity", "budget_restore_rate"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table("api_client")
                        .add_column(integer_null(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table("api_client")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
