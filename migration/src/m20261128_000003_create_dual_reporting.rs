//! Dual reporting (双报到双报告): organisations and serving Party members register with
//! communities, members take up service posts, and communities report back to members' units.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::ddl::{self, check, composite_fk, fk, index, one_of, reference, reference_null, unique};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &[
    "org_registration",
    "member_registration",
    "service_post",
    "post_claim",
    "feedback_report",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let org_registration = ddl::table("org_registration")
            .col(reference("organization_id"))
            .col(reference("community_id"))
            .col(integer("year"))
            .col(text("offers"))
            .col(text("needs"))
            .col(text("projects"))
            .col(one_of(
                "status",
                &["submitted", "accepted", "returned", "withdrawn"],
            ))
            .col(text_null("review_note"))
            .col(small_integer_null("community_rating"))
            .col(small_integer_null("organization_rating"))
            .col(timestamp_with_time_zone_null("reviewed_at"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .check(check(
                "ck_org_registration_ratings",
                "(community_rating IS NULL OR community_rating BETWEEN 1 AND 5) \
                 AND (organization_rating IS NULL OR organization_rating BETWEEN 1 AND 5)",
            ))
            .foreign_key(&mut fk(
                "org_registration",
                "organization_id",
                "organization",
            ))
            .foreign_key(&mut fk("org_registration", "community_id", "admin_unit"))
            .take();

        let member_registration = ddl::table("member_registration")
            .col(reference("party_member_id"))
            .col(reference("community_id"))
            .col(reference_null("grid_id"))
            // The member's unit when they registered: reports follow the unit of each period.
            .col(reference("organization_id"))
            .col(one_of(
                "status",
                &[
                    "submitted",
                    "accepted",
                    "rejected",
                    "transferred",
                    "deregistered",
                ],
            ))
            .col(one_of("submitted_by", &["member", "unit"]))
            .col(text_null("decision_note"))
            .col(reference_null("transferred_to_id"))
            .col(timestamp_with_time_zone_null("decided_at"))
            .col(timestamp_with_time_zone_null("receipt_issued_at"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .check(check(
                "ck_member_registration_grid",
                "status IN ('submitted', 'rejected') OR grid_id IS NOT NULL",
            ))
            .foreign_key(&mut fk(
                "member_registration",
                "party_member_id",
                "party_member",
            ))
            .foreign_key(&mut fk("member_registration", "community_id", "admin_unit"))
            .foreign_key(&mut fk(
                "member_registration",
                "organization_id",
                "organization",
            ))
            .foreign_key(&mut fk(
                "member_registration",
                "transferred_to_id",
                "member_registration",
            ))
            .foreign_key(&mut composite_fk(
                "fk_member_registration_grid_in_community",
                "member_registration",
                ["grid_id", "community_id"],
                "admin_unit",
                ["id", "parent_id"],
            ))
            .take();

        let service_post = ddl::table("service_post")
            .col(reference("community_id"))
            .col(string_len("title", 100))
            .col(text_null("description"))
            .col(integer("head_count").check(Expr::col("head_count").gt(0)))
            .col(one_of("status", &["open", "closed"]))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk("service_post", "community_id", "admin_unit"))
            .take();

        let post_claim = ddl::table("post_claim")
            .col(reference("post_id"))
            .col(reference("party_member_id"))
            .col(one_of(
                "status",
                &["applied", "confirmed", "rejected", "withdrawn", "ended"],
            ))
            .col(timestamp_with_time_zone_null("decided_at"))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk("post_claim", "post_id", "service_post"))
            .foreign_key(&mut fk("post_claim", "party_member_id", "party_member"))
            .take();

        let feedback_report = ddl::table("feedback_report")
            .col(reference("community_id"))
            .col(reference("organization_id"))
            .col(integer("year"))
            .col(small_integer("quarter").check(Expr::col("quarter").between(1, 4)))
            .col(one_of(
                "status",
                &["generated", "signed", "sent", "acknowledged"],
            ))
            // The report's figures as generated (JSON), so a sent report never changes.
            .col(text("content"))
            .col(reference_null("signed_by_person_id"))
            .col(timestamp_with_time_zone_null("signed_at"))
            .col(timestamp_with_time_zone_null("sent_at"))
            .col(timestamp_with_time_zone_null("acknowledged_at"))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk("feedback_report", "community_id", "admin_unit"))
            .foreign_key(&mut fk(
                "feedback_report",
                "organization_id",
                "organization",
            ))
            .foreign_key(&mut fk("feedback_report", "signed_by_person_id", "person"))
            .take();

        ddl::create(
            manager,
            vec![
                org_registration,
                member_registration,
                service_post,
                post_claim,
                feedback_report,
            ],
            vec![
                unique(
                    "ux_org_registration_open",
                    "org_registration",
                    &["organization_id", "community_id"],
                    Some("status IN ('submitted', 'accepted')"),
                ),
                index("org_registration", &["community_id"]),
                // At most one open residential registration per member.
                unique(
                    "ux_member_registration_open",
                    "member_registration",
                    &["party_member_id"],
                    Some("status IN ('submitted', 'accepted')"),
                ),
                index("member_registration", &["community_id", "status"]),
                index("member_registration", &["organization_id"]),
                index("service_post", &["community_id"]),
                unique(
                    "ux_post_claim_open",
                    "post_claim",
                    &["post_id", "party_member_id"],
                    Some("status IN ('applied', 'confirmed')"),
                ),
                index("post_claim", &["party_member_id"]),
                unique(
                    "ux_feedback_report_period",
                    "feedback_report",
                    &["community_id", "organization_id", "year", "quarter"],
                    None,
                ),
                index("feedback_report", &["organization_id"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        ddl::drop(
            manager,
            TABLES,
            &[("member_registration", "transferred_to_id")],
        )
        .await
    }
}
