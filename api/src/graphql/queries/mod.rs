//! The query root: one `XxxQuery` per area, merged.

mod dual_reporting;
mod people;
mod structure;
mod volunteering;
mod wishes;

use async_graphql::{Enum, MergedObject};

pub use people::OrganizationOrderField;
pub use structure::AdminUnitOrderField;
pub use volunteering::{ActivityOrderField, ServiceRecordOrderField};
pub use wishes::WishOrderField;

use super::connection::{SortField, SortKey};
use super::node::NodeQuery;

/// Reads over the district's shared resources. Every list is a Relay connection with a
/// `filter`, an `orderBy` and at most 100 items a page; everything is scoped to the caller.
#[derive(MergedObject, Default)]
pub struct Query(
    NodeQuery,
    structure::StructureQuery,
    people::PeopleQuery,
    dual_reporting::DualReportingQuery,
    volunteering::VolunteeringQuery,
    wishes::WishQuery,
);

/// Orders a list by id (creation order) or creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Enum)]
pub enum CreatedOrderField {
    /// By id: the order in which the items were created.
    #[default]
    Id,
    /// By creation time.
    CreatedAt,
}

macro_rules! created_order {
    ($($module:ident),* $(,)?) => {
        $(impl SortField<entities::$module::Entity> for CreatedOrderField {
            fn column(self) -> entities::$module::Column {
                match self {
                    Self::Id => entities::$module::Column::Id,
                    Self::CreatedAt => entities::$module::Column::CreatedAt,
                }
            }

            fn key(self, row: &entities::$module::Model) -> SortKey {
                match self {
                    Self::Id => SortKey::Int(row.id),
                    Self::CreatedAt => SortKey::Time(row.created_at),
                }
            }
        })*
    };
}

created_order!(
    person,
    party_member,
    org_registration,
    member_registration,
    service_post,
    post_claim,
    feedback_report,
    member_report,
    volunteer_team,
    activity_signup,
    wish_claim,
);

/// The row id inside an optional id argument, checked to name an `N`.
fn id_of<N: super::node::NodeType>(
    field: &str,
    id: Option<async_graphql::ID>,
) -> Result<Option<i64>, crate::error::ApiError> {
    id.map(|id| super::node::decode_as::<N>(field, &id))
        .transpose()
}
