//! Micro-wishes (微心愿): a resident's small wish, reviewed and published by the community,
//! claimed and fulfilled by a partner organisation, a Party member or a volunteer.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::ddl::{self, check, composite_fk, fk, index, one_of, reference, reference_null, unique};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &["micro_wish", "wish_claim"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let micro_wish = ddl::table("micro_wish")
            .col(reference("beneficiary_person_id"))
            // The resident themself, or the grid worker who posted for them.
            .col(reference("poster_person_id"))
            .col(reference("community_id"))
            .col(reference("grid_id"))
            .col(string_len("title", 100))
            .col(text("description"))
            .col(one_of(
                "category",
                &[
                    "daily_necessities",
                    "study",
                    "health_care",
                    "home_repair",
                    "companionship",
                    "other",
                ],
            ))
            .col(integer("estimated_value_cents").check(Expr::col("estimated_value_cents").gte(0)))
            .col(timestamp_with_time_zone("deadline"))
            .col(one_of(
                "status",
                &[
                    "submitted",
                    "rejected",
                    "open",
                    "claimed",
                    "delivered",
                    "disputed",
                    "realized",
                    "withdrawn",
                    "taken_down",
                    "expired",
                ],
            ))
            // Every transition is a compare-and-set on this version.
            .col(
                integer("version")
                    .default(1)
                    .check(Expr::col("version").gte(1)),
            )
            .col(text_null("review_note"))
            .col(timestamp_with_time_zone_null("published_at"))
            .col(timestamp_with_time_zone_null("realized_at"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .check(check(
                "ck_micro_wish_published",
                "status IN ('submitted', 'rejected') OR published_at IS NOT NULL",
            ))
            .check(check(
                "ck_micro_wish_realized",
                "(status = 'realized') = (realized_at IS NOT NULL)",
            ))
            .foreign_key(&mut fk("micro_wish", "beneficiary_person_id", "person"))
            .foreign_key(&mut fk("micro_wish", "poster_person_id", "person"))
            .foreign_key(&mut fk("micro_wish", "community_id", "admin_unit"))
            .foreign_key(&mut composite_fk(
                "fk_micro_wish_grid_in_community",
                "micro_wish",
                ["grid_id", "community_id"],
                "admin_unit",
                ["id", "parent_id"],
            ))
            .take();

        let wish_claim = ddl::table("wish_claim")
            .col(reference("wish_id"))
            .col(one_of("claimant_kind", &["organization", "party_member", "volunteer"]))
            .col(reference_null("claimant_organization_id"))
            .col(reference_null("claimant_person_id"))
            .col(one_of("status", &["active", "delivered", "fulfilled", "released", "revoked"]))
            .col(timestamp_with_time_zone("due_at"))
            .col(text_null("evidence_note"))
            // JSON array of photo URLs.
            .col(text_null("evidence_urls"))
            .col(small_integer_null("rating"))
            .col(text_null("feedback"))
            .col(timestamp_with_time_zone_null("closed_at"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .check(check(
                "ck_wish_claim_claimant",
                "(claimant_kind = 'organization' AND claimant_organization_id IS NOT NULL AND claimant_person_id IS NULL) \
                 OR (claimant_kind <> 'organization' AND claimant_person_id IS NOT NULL)",
            ))
            .check(check("ck_wish_claim_rating", "rating IS NULL OR rating BETWEEN 1 AND 5"))
            .foreign_key(&mut fk("wish_claim", "wish_id", "micro_wish"))
            .foreign_key(&mut fk("wish_claim", "claimant_organization_id", "organization"))
            .foreign_key(&mut fk("wish_claim", "claimant_person_id", "person"))
            .take();

        ddl::create(
            manager,
            vec![micro_wish, wish_claim],
            vec![
                index("micro_wish", &["community_id", "status", "published_at"]),
                index("micro_wish", &["grid_id", "status"]),
                index("micro_wish", &["status", "deadline"]),
                index("micro_wish", &["beneficiary_person_id"]),
                // A wish has at most one active claim: two claimants racing cannot both win.
                unique(
                    "ux_wish_claim_active",
                    "wish_claim",
                    &["wish_id"],
                    Some("status IN ('active', 'delivered')"),
                ),
                index("wish_claim", &["claimant_organization_id", "status"]),
                index("wish_claim", &["claimant_person_id", "status"]),
                index("wish_claim", &["status", "due_at"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        ddl::drop(manager, TABLES, &[]).await
    }
}
