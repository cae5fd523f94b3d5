use sea_orm::entity::prelude::*;

/// A role an account holds, scoped to an admin unit (and everything below it) or to an
/// organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))", rename_all = "snake_case")]
pub enum Role {
    DistrictStaff,
    SubdistrictStaff,
    CommunityStaff,
    GridStaff,
    DepartmentHandler,
    OrgAdmin,
    PartyUnitAdmin,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "role_grant")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub role: Role,
    pub unit_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
