//! Member self-reports (双报告): a Party member's half-yearly report to their own branch,
//! pre-filled from their records, then edited and submitted by the member.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::ddl::{self, fk, index, one_of, reference, reference_null, unique};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &["member_report"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let member_report = ddl::table("member_report")
            .col(reference("party_member_id"))
            // The member's unit when the report was drafted: the branch it is addressed to.
            .col(reference("organization_id"))
            // The community of the registration active in the half-year, if any.
            .col(reference_null("community_id"))
            .col(integer("year"))
            .col(small_integer("half").check(Expr::col("half").between(1, 2)))
            .col(one_of("status", &["draft", "edited", "submitted"]))
            // The figures as pre-filled from the records; the member remarks on them but
            // cannot change them.
            .col(big_integer("service_minutes"))
            .col(integer("service_records"))
            .col(integer("realised_wishes"))
            .col(integer("posts_held"))
            .col(text_null("summary"))
            .col(text_null("remarks"))
            .col(timestamp_with_time_zone_null("submitted_at"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .check(ddl::check(
                "ck_member_report_submitted",
                "(status = 'submitted') = (submitted_at IS NOT NULL)",
            ))
            .foreign_key(&mut fk("member_report", "party_member_id", "party_member"))
            .foreign_key(&mut fk("member_report", "organization_id", "organization"))
            .foreign_key(&mut fk("member_report", "community_id", "admin_unit"))
            .take();

        ddl::create(
            manager,
            vec![member_report],
            vec![
                // One report per member and half-year.
                unique(
                    "ux_member_report_period",
                    "member_report",
                    &["party_member_id", "year", "half"],
                    None,
                ),
                index("member_report", &["organization_id"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        ddl::drop(manager, TABLES, &[]).await
    }
}
