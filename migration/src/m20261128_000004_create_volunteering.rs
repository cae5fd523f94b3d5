//! Volunteering: teams in six areas, their activities, sign-ups with attendance, and the service
//! records (hours) that confirmed attendance produces.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::ddl::{self, check, fk, index, one_of, one_of_null, reference, reference_null, unique};
use crate::m20261128_000002_create_people::SERVICE_CATEGORIES;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &[
    "volunteer_team",
    "team_member",
    "volunteer_activity",
    "activity_signup",
    "service_record",
];

/// The six areas of the district's volunteer service teams.
const AREAS: &[&str] = &[
    "elderly_care_medical",
    "poverty_relief",
    "dispute_mediation",
    "legal_aid",
    "community_activities",
    "employment_guidance",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let volunteer_team = ddl::table("volunteer_team")
            .col(string_len("name", 100))
            .col(one_of("area", AREAS))
            .col(reference("community_id"))
            .col(reference("organization_id"))
            .col(reference_null("leader_person_id"))
            .col(one_of("status", &["active", "dissolved"]))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk("volunteer_team", "community_id", "admin_unit"))
            .foreign_key(&mut fk("volunteer_team", "organization_id", "organization"))
            .foreign_key(&mut fk("volunteer_team", "leader_person_id", "person"))
            .take();

        let team_member = ddl::table("team_member")
            .col(reference("team_id"))
            .col(reference("person_id"))
            .col(one_of("role", &["leader", "deputy", "member"]))
            .col(timestamp_with_time_zone("joined_at"))
            .col(timestamp_with_time_zone_null("left_at"))
            .foreign_key(&mut fk("team_member", "team_id", "volunteer_team"))
            .foreign_key(&mut fk("team_member", "person_id", "person"))
            .take();

        let volunteer_activity = ddl::table("volunteer_activity")
            .col(reference("organization_id"))
            .col(reference_null("team_id"))
            .col(reference("community_id"))
            .col(string_len("title", 100))
            .col(text_null("description"))
            .col(one_of_null("area", AREAS))
            .col(one_of_null("service_category", SERVICE_CATEGORIES))
            .col(reference_null("centre_id"))
            .col(string_len_null("place", 200))
            .col(timestamp_with_time_zone("starts_at"))
            .col(timestamp_with_time_zone("ends_at"))
            .col(timestamp_with_time_zone("signup_opens_at"))
            .col(timestamp_with_time_zone("signup_closes_at"))
            .col(integer("capacity").check(Expr::col("capacity").gt(0)))
            .col(boolean("self_scheduling").default(false))
            .col(one_of(
                "status",
                &[
                    "draft",
                    "pending_approval",
                    "published",
                    "recruitment_closed",
                    "in_progress",
                    "ended",
                    "records_confirmed",
                    "cancelled",
                ],
            ))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .check(check(
                "ck_volunteer_activity_window",
                "starts_at < ends_at AND signup_opens_at < signup_closes_at AND signup_closes_at <= ends_at",
            ))
            .check(check(
                "ck_volunteer_activity_place",
                "centre_id IS NOT NULL OR place IS NOT NULL",
            ))
            .foreign_key(&mut fk("volunteer_activity", "organization_id", "organization"))
            .foreign_key(&mut fk("volunteer_activity", "team_id", "volunteer_team"))
            .foreign_key(&mut fk("volunteer_activity", "community_id", "admin_unit"))
            .foreign_key(&mut fk("volunteer_activity", "centre_id", "service_centre"))
            .take();

        let activity_signup = ddl::table("activity_signup")
            .col(reference("activity_id"))
            .col(reference("person_id"))
            .col(one_of(
                "status",
                &[
                    "applied",
                    "approved",
                    "waitlisted",
                    "cancelled",
                    "checked_in",
                    "checked_out",
                    "no_show",
                ],
            ))
            .col(timestamp_with_time_zone_null("checked_in_at"))
            .col(timestamp_with_time_zone_null("checked_out_at"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .check(check(
                "ck_activity_signup_attendance",
                "(checked_in_at IS NOT NULL OR status NOT IN ('checked_in', 'checked_out')) \
                 AND (checked_out_at IS NOT NULL OR status <> 'checked_out') \
                 AND (checked_out_at IS NULL OR checked_out_at > checked_in_at)",
            ))
            .foreign_key(&mut fk(
                "activity_signup",
                "activity_id",
                "volunteer_activity",
            ))
            .foreign_key(&mut fk("activity_signup", "person_id", "person"))
            .take();

        // Append-only: a correction is a new record pointing at the one it corrects.
        let service_record = ddl::table("service_record")
            .col(reference("person_id"))
            // The organisation that recorded (and confirms) the service.
            .col(reference("organization_id"))
            // The unit the person belonged to at the time, for reports that survive job changes.
            .col(reference_null("member_unit_id"))
            .col(reference("community_id"))
            .col(reference_null("activity_id"))
            .col(reference_null("signup_id"))
            .col(one_of_null("area", AREAS))
            .col(timestamp_with_time_zone("started_at"))
            .col(timestamp_with_time_zone("ended_at"))
            .col(integer("minutes").check(Expr::col("minutes").ne(0)))
            .col(one_of("status", &["pending", "confirmed"]))
            .col(reference_null("corrects_id"))
            .col(text_null("reason"))
            .col(timestamp_with_time_zone_null("confirmed_at"))
            .col(timestamp_with_time_zone("created_at"))
            .check(check(
                "ck_service_record_correction",
                "(corrects_id IS NULL AND minutes > 0) OR (corrects_id IS NOT NULL AND reason IS NOT NULL)",
            ))
            .check(check("ck_service_record_span", "started_at < ended_at"))
            .foreign_key(&mut fk("service_record", "person_id", "person"))
            .foreign_key(&mut fk("service_record", "organization_id", "organization"))
            .foreign_key(&mut fk("service_record", "member_unit_id", "organization"))
            .foreign_key(&mut fk("service_record", "community_id", "admin_unit"))
            .foreign_key(&mut fk("service_record", "activity_id", "volunteer_activity"))
            .foreign_key(&mut fk("service_record", "signup_id", "activity_signup"))
            .foreign_key(&mut fk("service_record", "corrects_id", "service_record"))
            .take();

        ddl::create(
            manager,
            vec![
                volunteer_team,
                team_member,
                volunteer_activity,
                activity_signup,
                service_record,
            ],
            vec![
                index("volunteer_team", &["community_id"]),
                index("volunteer_team", &["organization_id"]),
                unique(
                    "ux_team_member_current",
                    "team_member",
                    &["team_id", "person_id"],
                    Some("left_at IS NULL"),
                ),
                index("team_member", &["person_id"]),
                index("volunteer_activity", &["community_id", "status"]),
                index("volunteer_activity", &["organization_id"]),
                unique(
                    "ux_activity_signup_live",
                    "activity_signup",
                    &["activity_id", "person_id"],
                    Some("status <> 'cancelled'"),
                ),
                index("activity_signup", &["person_id"]),
                // One original record per attendance; corrections come on top of it.
                unique(
                    "ux_service_record_signup",
                    "service_record",
                    &["signup_id"],
                    Some("corrects_id IS NULL"),
                ),
                index("service_record", &["person_id", "started_at"]),
                index("service_record", &["member_unit_id", "started_at"]),
                index("service_record", &["community_id", "started_at"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        ddl::drop(manager, TABLES, &[("service_record", "corrects_id")]).await
    }
}
