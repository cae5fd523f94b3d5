//! The GraphQL schema: object types, the query root and its areas, loaders and pagination.

mod batch;
mod checks;
mod connection;
mod context;
pub mod errors;
mod guards;
pub mod ids;
pub mod lists;
mod loaders;
mod mutations;
mod ordering;
mod queries;
mod types;
mod validator;

use std::sync::Arc;

use async_graphql::{EmptySubscription, Schema, SchemaBuilder};

pub use checks::{Prepared, RequestChecks};
pub use context::RequestContext;
use mutations::AnyUserError;
pub use mutations::Mutation;
pub use queries::Query;
pub use types::{RateLimit, points};
pub use validator::Validator;

use crate::config::QueryLimits;
use crate::domain::Rules;

pub type GongzhiSchema = Schema<Query, Mutation, EmptySubscription>;

/// Builds the schema with the domain's rules (which resolvers hand to the domain) and a
/// [`Validator`] of documents (which registering trusted documents asks); the depth and cost
/// limits are [`RequestChecks`]'s. It holds no connection: each request brings its own
/// [`RequestContext`].
pub fn build_schema(rules: Rules, limits: &QueryLimits) -> GongzhiSchema {
    builder(rules)
        .data(Arc::new(build_validator(rules, limits)))
        .finish()
}

/// A [`Validator`] of documents against the schema, for the command line.
pub fn build_validator(rules: Rules, limits: &QueryLimits) -> Validator {
    Validator::new(rules, limits)
}

fn builder(rules: Rules) -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        // Implemented by every area's user error; no field returns it, so it is named here.
        .register_output_type::<AnyUserError>()
        .data(rules.wishes)
        .data(rules.volunteering)
        .data(rules.key_lifetime)
}

/// The SDL of the schema, as `schema.graphql` holds it.
pub fn sdl(schema: &GongzhiSchema) -> String {
    schema.sdl_with_options(async_graphql::SDLExportOptions::new().sorted_fields())
}
