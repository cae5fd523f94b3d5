//! The end-to-end tests, in one binary: a module per area of the API, a folder where an area
//! has sub-areas. Each scenario runs once on SQLite and once on PostgreSQL (see
//! `gongzhi_tests::e2e!`); `gongzhi_tests::demo` names what they rely on in the demo district.

mod authorization;
mod availability;
mod budgets;
mod connections;
mod contract;
mod corpus;
mod credential_guessing;
mod database;
mod discovery;
mod dual_reporting;
mod figures;
mod foundation;
mod graphiql;
mod graphql_over_http;
mod identity_tokens;
mod query_cost;
mod schema;
mod sync;
mod trusted_documents;
mod user_errors;
mod volunteering;
mod wishes;
