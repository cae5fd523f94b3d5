use sea_orm::entity::prelude::*;

/// A Party member, belonging to the Party organisation of their own unit.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "party_member")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub person_id: i64,
    pub organization_id: i64,
    /// In service (在职) rather than retired.
    pub serving: bool,
    pub joined_party_on: Option<Date>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
