//! The query root: one `XxxQuery` per area, merged.

mod dual_reporting;
mod node;
mod people;
mod structure;
mod traffic;
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
/// id, any other list once per item it may hold (its `first`, or the maximum its description
/// states; a list of a mutation's payload 5 times); each mutation field adds 10. Aliases and fragments count
/// where they appear. Some fields cost more: `AdminUnit.wishStatistics` and
/// `AdminUnit.registrationStatistics` 10 (plus their selection), `FeedbackReport.csv` 5; and
/// `rateLimit` costs 0. So `microWishes(first: 50) { nodes { id title grid { name } } }` costs
/// 1 + 50 × 2 = 101.
///
/// **Budgets.** Every caller spends points from a bucket of its own: each API client (1,000
/// points, restoring 50 a second, unless the district set other limits for it), each
/// signed-in account or person, and each source address of anonymous callers (500, restoring
/// 25). A query runs only if the bucket holds its cost; otherwise it is refused with HTTP 429,
/// `Retry-After` and `THROTTLED`, and nothing runs. After it ran, it is charged what it
/// returned, counted the same way: the points it did not use (pages and lists that came back
/// short, nulls) go back into the bucket, and a mutation payload's list that held more than
/// it was priced at is charged for what it held, into debt if need be. An answer with a field
/// error keeps its price.
/// Every response says where the caller stands in `extensions.cost { requestedQueryCost
/// actualQueryCost throttleStatus { maximumAvailable currentlyAvailable restoreRate } }` and
/// the `RateLimit` / `RateLimit-Policy` headers; `rateLimit` answers the same.
///
/// **Documents by id.** A request may name its document by the SHA-256 of its text instead of
/// sending it: `{"documentId": "sha256:<64 hex digits>"}`, or Apollo's
/// `extensions.persistedQuery { version: 1, sha256Hash }`. The server runs a trusted document
/// of the calling API client (see `registerTrustedDocuments`), or a document it has seen
/// lately; otherwise it answers `PERSISTED_QUERY_NOT_FOUND` (message `PersistedQueryNotFound`)
/// and the client sends the text with the id once. An API client that runs trusted documents
/// only (a third-party app's) is refused anything else with `PERSISTED_QUERY_NOT_ALLOWED`.
#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    structure::StructureQuery,
    people::PeopleQuery,
    dual_reporting::DualReportingQuery,
    volunteering::VolunteeringQuery,
    wishes::WishQuery,
    traffic::TrafficQuery,
);
