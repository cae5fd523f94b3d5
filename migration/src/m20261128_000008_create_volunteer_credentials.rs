//! What volunteers show and are shown: the short-lived attendance codes an organiser displays so
//! volunteers can check themselves in or out (only a digest is kept, like any other secret), and
//! service certificates, which anyone can verify by number; and the points ledger that
//! confirmed service credits and the "love supermarket" debits.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::ddl::{self, fk, index, one_of, reference, reference_null, unique};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &[
    "checkin_code",
    "service_certificate",
    "certificate_record",
    "points_entry",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let checkin_code = ddl::table("checkin_code")
            .col(reference("activity_id"))
            .col(one_of("purpose", &["check_in", "check_out"]))
            // SHA-256 (hex) of the code shown to volunteers.
            .col(string_len("code_digest", 64))
            .col(timestamp_with_time_zone("expires_at"))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk("checkin_code", "activity_id", "volunteer_activity"))
            .take();

        let service_certificate = ddl::table("service_certificate")
            // Random, so certificates cannot be enumerated by guessing numbers.
            .col(string_len("number", 32))
            .col(reference("person_id"))
            // The issuing organisation, which recorded every service it lists.
            .col(reference("organization_id"))
            .col(timestamp_with_time_zone("period_from"))
            .col(timestamp_with_time_zone("period_to"))
            .col(integer("total_minutes").check(Expr::col("total_minutes").gt(0)))
            .col(one_of("status", &["issued"]))
            .col(timestamp_with_time_zone("issued_at"))
            .check(ddl::check(
                "ck_service_certificate_period",
                "period_from < period_to",
            ))
            .foreign_key(&mut fk("service_certificate", "person_id", "person"))
            .foreign_key(&mut fk(
                "service_certificate",
                "organization_id",
                "organization",
            ))
            .take();

        // The records a certificate is built from.
        let certificate_record = ddl::table("certificate_record")
            .col(reference("certificate_id"))
            .col(reference("service_record_id"))
            .foreign_key(&mut fk(
                "certificate_record",
                "certificate_id",
                "service_certificate",
            ))
            .foreign_key(&mut fk(
                "certificate_record",
                "service_record_id",
                "service_record",
            ))
            .take();

        // Append-only: every entry carries the balance after it, which can never be negative.
        let points_entry = ddl::table("points_entry")
            .col(reference("person_id"))
            .col(integer("points").check(Expr::col("points").ne(0)))
            .col(integer("balance").check(Expr::col("balance").gte(0)))
            // The confirmed record a credit (or a correction's debit) comes from.
            .col(reference_null("service_record_id"))
            .col(text_null("note"))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk("points_entry", "person_id", "person"))
            .foreign_key(&mut fk(
                "points_entry",
                "service_record_id",
                "service_record",
            ))
            .take();

        ddl::create(
            manager,
            vec![
                checkin_code,
                service_certificate,
                certificate_record,
                points_entry,
            ],
            vec![
                // One current code per activity and purpose: a new code replaces the old one.
                unique(
                    "ux_checkin_code_activity_purpose",
                    "checkin_code",
                    &["activity_id", "purpose"],
                    None,
                ),
                unique(
                    "ux_service_certificate_number",
                    "service_certificate",
                    &["number"],
                    None,
                ),
                index("service_certificate", &["person_id"]),
                index("points_entry", &["person_id"]),
                // A record is credited once.
                unique(
                    "ux_points_entry_record",
                    "points_entry",
                    &["service_record_id"],
                    Some("service_record_id IS NOT NULL"),
                ),
                unique(
                    "ux_certificate_record",
                    "certificate_record",
                    &["certificate_id", "service_record_id"],
                    None,
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        ddl::drop(manager, TABLES, &[]).await
    }
}
