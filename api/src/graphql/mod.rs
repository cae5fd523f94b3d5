//! The GraphQL schema: object types, the query root and its areas, loaders and pagination.

mod batch;
pub mod connection;
pub mod context;
mod loaders;
pub mod node;
mod queries;
mod types;

use async_graphql::{EmptyMutation, EmptySubscription, Schema};

pub use context::RequestContext;
pub use queries::Query;

use crate::config::Config;

pub type GongzhiSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// Builds the schema with the configured limits. It holds no connection: each request brings
/// its own [`RequestContext`].
pub fn build_schema(config: &Config) -> GongzhiSchema {
    Schema::build(Query::default(), EmptyMutation, EmptySubscription)
        .limit_depth(config.max_query_depth)
        .limit_complexity(config.max_query_complexity)
        .finish()
}

/// The SDL of the schema, as `schema.graphql` holds it.
pub fn sdl(schema: &GongzhiSchema) -> String {
    schema.sdl_with_options(async_graphql::SDLExportOptions::new().sorted_fields())
}
