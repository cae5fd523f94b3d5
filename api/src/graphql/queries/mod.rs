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
///
/// **Query cost.** Before a request runs, its operation is priced in points, and one costing
/// more than the server's maximum (1,000 by default) is refused with `QUERY_TOO_COSTLY`,
/// naming its cost and the maximum in `extensions.cost` and `extensions.maximumCost`. A field
/// of a scalar or enum type costs 0, as does introspection; a field of an object type costs 1
/// plus its selection; a connection's `nodes` and `edges` cost their selection once per item
/// of the page asked for (`first` or `last`, 20 when neither is given), `nodes(ids:)` once per
/// id, any other list 5 times; each mutation field adds 10. Aliases and fragments count
/// where they appear. So `microWishes(first: 50) { nodes { id title grid { name } } }` costs
/// 1 + 50 × 2 = 101.
#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    structure::StructureQuery,
    people::PeopleQuery,
    dual_reporting::DualReportingQuery,
    volunteering::VolunteeringQuery,
    wishes::WishQuery,
);
