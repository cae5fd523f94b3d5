//! The district's structure: administrative units nested district → sub-district → community →
//! grid, the departments that send work down to grids, and each community's service centres.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::ddl::{
    self, check, composite_fk, fk, index, one_of, one_of_null, reference, reference_null, unique,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &["admin_unit", "department", "service_centre"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let admin_unit = ddl::table("admin_unit")
            .col(reference_null("parent_id"))
            .col(one_of("level", &["district", "subdistrict", "community", "grid"]))
            .col(one_of_null("parent_level", &["district", "subdistrict", "community"]))
            .col(string_len("name", 100))
            .col(string_len_uniq("code", 32))
            .col(path_column(manager))
            .col(integer("households").default(0).check(Expr::col("households").gte(0)))
            .col(one_of_null(
                "featured_type",
                &["red_education", "enterprise_cobuilding", "culture_tourism", "elderly_care", "smart_governance"],
            ))
            .col(boolean("standardised").default(false))
            .col(timestamp_with_time_zone("created_at"))
            // Units nest strictly: the parent's level is stated and checked against the unit's own.
            .check(check(
                "ck_admin_unit_nesting",
                "(level = 'district' AND parent_id IS NULL AND parent_level IS NULL) \
                 OR (level = 'subdistrict' AND parent_id IS NOT NULL AND parent_level = 'district') \
                 OR (level = 'community' AND parent_id IS NOT NULL AND parent_level = 'subdistrict') \
                 OR (level = 'grid' AND parent_id IS NOT NULL AND parent_level = 'community')",
            ))
            .check(check(
                "ck_admin_unit_featured_type",
                "featured_type IS NULL OR level = 'community'",
            ))
            // Targets of the composite foreign keys that keep nesting and "grid inside its
            // community" true; declared with the table, as the first of them is its own.
            .index(&mut unique("ux_admin_unit_id_level", "admin_unit", &["id", "level"], None))
            .index(&mut unique("ux_admin_unit_id_parent", "admin_unit", &["id", "parent_id"], None))
            .foreign_key(&mut composite_fk(
                "fk_admin_unit_parent",
                "admin_unit",
                ["parent_id", "parent_level"],
                "admin_unit",
                ["id", "level"],
            ))
            .take();

        let department = ddl::table("department")
            .col(string_len_uniq("code", 32))
            .col(string_len_uniq("name", 100))
            .col(text_null("duties"))
            .take();

        let service_centre = ddl::table("service_centre")
            .col(reference("community_id"))
            .col(one_of(
                "kind",
                &[
                    "convenience",
                    "comprehensive_governance",
                    "culture_sports",
                    "health",
                    "elder_day_care",
                    "children",
                    "volunteer",
                ],
            ))
            .col(string_len("name", 100))
            .col(string_len_null("address", 200))
            .col(string_len_null("opening_hours", 100))
            .foreign_key(&mut fk("service_centre", "community_id", "admin_unit"))
            .take();

        ddl::create(
            manager,
            vec![admin_unit, department, service_centre],
            vec![
                index("admin_unit", &["parent_id"]),
                // One centre of each kind per community ("一有七中心").
                unique(
                    "ux_service_centre_kind",
                    "service_centre",
                    &["community_id", "kind"],
                    None,
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        ddl::drop(manager, TABLES, &[("admin_unit", "parent_id")]).await
    }
}

/// `/1/4/37/512/`: "this unit and everything below it" is the indexed range
/// `path >= '/1/4/' AND path < '/1/40'`, which needs byte order. SQLite compares text bytewise;
/// PostgreSQL needs the "C" collation, as its default one ignores the slashes.
fn path_column(manager: &SchemaManager) -> ColumnDef {
    let mut path = string_len_uniq("path", 200);
    if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        path.extra(r#"COLLATE "C""#);
    }
    path
}
