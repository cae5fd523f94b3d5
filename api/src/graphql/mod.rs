//! The GraphQL schema: object types, the query root and its areas, loaders and pagination.

mod batch;
mod checks;
mod connection;
mod context;
mod errors;
mod guards;
pub mod ids;
mod loaders;
mod mutations;
mod ordering;
mod queries;
mod types;

use async_graphql::{EmptySubscription, Schema};

pub use checks::RequestChecks;
pub use context::RequestContext;
use mutations::AnyUserError;
pub use mutations::Mutation;
pub use queries::Query;
pub use types::{RateLimit, points};

use crate::domain::Rules;

pub type GongzhiSchema = Schema<Query, Mutation, EmptySubscription>;

/// Builds the schema with the domain's rules (which resolvers hand to the domain); the depth and
/// cost limits are [`RequestChecks`]'s. It holds no connection: each request brings its own
/// [`RequestContext`].
pub fn build_schema(rules: Rules) -> GongzhiSchema {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        // Implemented by every area's user error; no field returns it, so it is named here.
        .register_output_type::<AnyUserError>()
        .data(rules.wishes)
        .data(rules.volunteering)
        .data(rules.key_lifetime)
        .finish()
}

/// The SDL of the schema, as `schema.graphql` holds it.
pub fn sdl(schema: &GongzhiSchema) -> String {
    schema.sdl_with_options(async_graphql::SDLExportOptions::new().sorted_fields())
}
