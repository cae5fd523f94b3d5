//! When each object partners sync last changed: `updated_at` on the tables that lacked it
//! (service posts and their claims, feedback reports, service records, volunteer teams and
//! their memberships), filled from when each row was made, and indexes for the `updatedSince`
//! filters of the lists partners poll.

use sea_orm_migration::prelude::*;

use crate::ddl::index;

/// The tables that gain `updated_at`, with the column each row's first value comes from.
const TABLES: &[(&str, &str)] = &[
    ("service_post", "created_at"),
    ("post_claim", "created_at"),
    ("feedback_report", "created_at"),
    ("service_record", "created_at"),
    ("volunteer_team", "created_at"),
    ("team_member", "joined_at"),
];

/// The lists with an `updatedSince` filter.
const SYNCED: &[&str] = &[
    "micro_wish",
    "wish_claim",
    "member_registration",
    "org_registration",
    "volunteer_activity",
    "activity_signup",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, first) in TABLES {
            // SQLite adds a NOT NULL column only with a constant default; every row is then
            // set from its own creation time, and every write sets the column itself.
            manager
                .alter_table(
                    Table::alter()
                        .table(*table)
                        .add_column(
                            ColumnDef::new("updated_at")
                                .timestamp_with_time_zone()
                                .not_null()
                                .default("1970-01-01 00:00:00+00:00"),
                        )
                        .to_owned(),
                )
                .await?;
            manager
                .get_connection()
                .execute_unprepared(&format!("UPDATE {table} SET updated_at = {first}"))
                .await?;
        }
        for table in SYNCED.iter().chain(TABLES.iter().map(|(table, _)| table)) {
            manager.create_index(index(table, &["updated_at"])).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in SYNCED.iter().chain(TABLES.iter().map(|(table, _)| table)) {
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("ix_{table}_updated_at"))
                        .table(*table)
                        .to_owned(),
                )
                .await?;
        }
        for (table, _) in TABLES {
            manager
                .alter_table(
                    Table::alter()
                        .table(*table)
                        .drop_column("updated_at")
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
