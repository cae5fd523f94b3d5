//! People, households, organisations and the identities that act for them, plus the audit log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::ddl::{
    self, check, composite_fk, fk, index, one_of, one_of_null, reference, reference_null, unique,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &[
    "household",
    "person",
    "organization",
    "party_member",
    "account",
    "role_grant",
    "api_client",
    "staff_assignment",
    "audit_log",
];

/// The seven professional service categories brought in through social organisations.
pub const SERVICE_CATEGORIES: &[&str] = &[
    "elder_child_care",
    "green_travel",
    "housekeeping",
    "fresh_food_delivery",
    "education_training",
    "health_care",
    "legal_services",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let household = ddl::table("household")
            .col(reference("community_id"))
            .col(reference("grid_id"))
            .col(string_len("address", 200))
            .col(integer("size").default(1).check(Expr::col("size").gt(0)))
            .foreign_key(&mut composite_fk(
                "fk_household_grid_in_community",
                "household",
                ["grid_id", "community_id"],
                "admin_unit",
                ["id", "parent_id"],
            ))
            .take();

        let person = ddl::table("person")
            .col(string_len("name", 50))
            .col(one_of_null("gender", &["female", "male"]))
            .col(string_len_null("phone", 20))
            .col(string_len_null("id_number", 18))
            .col(date_null("birth_date"))
            .col(reference_null("household_id"))
            .col(boolean("lives_alone").default(false))
            .col(boolean("hardship").default(false))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk("person", "household_id", "household"))
            .take();

        let organization = ddl::table("organization")
            .col(string_len("name", 100))
            .col(one_of(
                "kind",
                &[
                    "social_organization",
                    "business",
                    "party_unit",
                    "department",
                    "community",
                ],
            ))
            .col(string_len_null("credit_code", 18))
            .col(one_of("status", &["active", "suspended", "dissolved"]))
            .col(reference_null("community_id"))
            .col(reference_null("department_id"))
            .col(one_of_null("service_category", SERVICE_CATEGORIES))
            .col(timestamp_with_time_zone("created_at"))
            .check(check(
                "ck_organization_department",
                "(kind = 'department') = (department_id IS NOT NULL)",
            ))
            .foreign_key(&mut fk("organization", "community_id", "admin_unit"))
            .foreign_key(&mut fk("organization", "department_id", "department"))
            .take();

        let party_member = ddl::table("party_member")
            .col(reference("person_id"))
            // The Party organisation of the member's own unit (where they work).
            .col(reference("organization_id"))
            .col(boolean("serving").default(true))
            .col(date_null("joined_party_on"))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk("party_member", "person_id", "person"))
            .foreign_key(&mut fk("party_member", "organization_id", "organization"))
            .take();

        let account = ddl::table("account")
            .col(string_len_uniq("username", 64))
            .col(string_len_null("password_hash", 200))
            .col(reference_null("person_id"))
            .col(reference_null("organization_id"))
            .col(one_of("status", &["active", "disabled"]))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk("account", "person_id", "person"))
            .foreign_key(&mut fk("account", "organization_id", "organization"))
            .take();

        let role_grant = ddl::table("role_grant")
            .col(reference("account_id"))
            .col(one_of(
                "role",
                &[
                    "district_staff",
                    "subdistrict_staff",
                    "community_staff",
                    "grid_staff",
                    "department_handler",
                    "org_admin",
                    "party_unit_admin",
                ],
            ))
            .col(reference_null("unit_id"))
            .col(reference_null("organization_id"))
            .col(timestamp_with_time_zone("created_at"))
            .check(check(
                "ck_role_grant_scope",
                "(unit_id IS NULL) <> (organization_id IS NULL)",
            ))
            .foreign_key(&mut fk("role_grant", "account_id", "account"))
            .foreign_key(&mut fk("role_grant", "unit_id", "admin_unit"))
            .foreign_key(&mut fk("role_grant", "organization_id", "organization"))
            .take();

        let api_client = ddl::table("api_client")
            .col(reference("organization_id"))
            .col(string_len_uniq("client_id", 64))
            .col(string_len("secret_hash", 200))
            .col(string_len("name", 100))
            // Space-separated OAuth2 scopes, as RFC 6749 writes them.
            .col(text("scopes"))
            .col(one_of("status", &["active", "suspended", "revoked"]))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone_null("revoked_at"))
            .foreign_key(&mut fk("api_client", "organization_id", "organization"))
            .take();

        let staff_assignment = ddl::table("staff_assignment")
            .col(reference("unit_id"))
            .col(reference("person_id"))
            .col(one_of(
                "role",
                &[
                    "grid_leader",
                    "party_instructor",
                    "grid_administrator",
                    "community_secretary",
                    "community_deputy_secretary",
                    "party_affairs_officer",
                    "subdistrict_lead",
                    "district_officer",
                ],
            ))
            .col(date("started_on"))
            .col(date_null("ended_on"))
            .check(check(
                "ck_staff_assignment_dates",
                "ended_on IS NULL OR ended_on >= started_on",
            ))
            .foreign_key(&mut fk("staff_assignment", "unit_id", "admin_unit"))
            .foreign_key(&mut fk("staff_assignment", "person_id", "person"))
            .take();

        // An append-only log: no foreign keys, so it outlives whatever it describes.
        let audit_log = ddl::table("audit_log")
            .col(timestamp_with_time_zone("occurred_at"))
            .col(one_of(
                "actor_kind",
                &["account", "person", "api_client", "system"],
            ))
            .col(big_integer_null("actor_id"))
            .col(big_integer_null("organization_id"))
            .col(string_len("action", 64))
            .col(string_len("entity_type", 64))
            .col(big_integer_null("entity_id"))
            .col(string_len_null("from_state", 32))
            .col(string_len_null("to_state", 32))
            .col(text_null("detail"))
            .col(string_len_null("request_id", 64))
            .take();

        ddl::create(
            manager,
            vec![
                household,
                person,
                organization,
                party_member,
                account,
                role_grant,
                api_client,
                staff_assignment,
                audit_log,
            ],
            vec![
                index("household", &["grid_id"]),
                unique("ux_person_id_number", "person", &["id_number"], None),
                index("person", &["household_id"]),
                unique("ux_organization_credit_code", "organization", &["credit_code"], None),
                unique("ux_organization_department", "organization", &["department_id"], None),
                index("organization", &["kind"]),
                unique("ux_party_member_person", "party_member", &["person_id"], None),
                index("party_member", &["organization_id"]),
                index("account", &["person_id"]),
                index("role_grant", &["account_id"]),
                index("api_client", &["organization_id"]),
                index("staff_assignment", &["person_id"]),
                // Each grid has one current holder of each of its three roles ("一长两员").
                unique(
                    "ux_staff_assignment_grid_role",
                    "staff_assignment",
                    &["unit_id", "role"],
                    Some("ended_on IS NULL AND role IN ('grid_leader', 'party_instructor', 'grid_administrator')"),
                ),
                index("audit_log", &["entity_type", "entity_id"]),
                index("audit_log", &["occurred_at"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        ddl::drop(manager, TABLES, &[]).await
    }
}
