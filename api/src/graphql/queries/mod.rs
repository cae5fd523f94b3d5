//! The query root: one `XxxQuery` per area, merged.

mod dual_reporting;
mod node;
mod people;
mod structure;
mod volunteering;
mod wishes;

use async_graphql::MergedObject;

/// Reads over the district's shared resources. Every list is a Relay connection with a
/// `filter`, an `orderBy` and at most 100 items a page; everything is scoped to the caller.
#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    structure::StructureQuery,
    people::PeopleQuery,
    dual_reporting::DualReportingQuery,
    volunteering::VolunteeringQuery,
    wishes::WishQuery,
);
