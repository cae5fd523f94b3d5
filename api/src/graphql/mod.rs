//! The GraphQL schema: object types, the query root and its areas, loaders and pagination.

mod batch;
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

pub use context::RequestContext;
use mutations::AnyUserError;
pub use mutations::Mutation;
pub use queries::Query;

use crate::config::Config;
use crate::domain::idempotency::KeyLifetime;
use crate::domain::volunteering::VolunteeringRules;
use crate::domain::wishes::WishRules;

pub type GongzhiSchema = Schema<Query, Mutation, EmptySubscription>;

/// Builds the schema with the configured limits. It holds no connection: each request brings
/// its own [`RequestContext`].
pub fn build_schema(config: &Config) -> GongzhiSchema {
    let wish_rules = WishRules {
        max_open_claims: config.max_open_claims,
        claim_period: chrono::Duration::days(config.claim_period_days),
    };
    let volunteering_rules = VolunteeringRules {
        tolerance: chrono::Duration::minutes(config.attendance_tolerance_minutes),
        rounding: config.service_rounding,
        rounding_unit: config.service_rounding_minutes,
        code_lifetime: chrono::Duration::minutes(config.attendance_code_minutes),
        points_per_hour: config.points_per_hour,
    };
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        // Implemented by every area's user error; no field returns it, so it is named here.
        .register_output_type::<AnyUserError>()
        .data(wish_rules)
        .data(volunteering_rules)
        .data(KeyLifetime(chrono::Duration::hours(
            config.idempotency_key_hours,
        )))
        .limit_depth(config.max_query_depth)
        .limit_complexity(config.max_query_complexity)
        .finish()
}

/// The SDL of the schema, as `schema.graphql` holds it.
pub fn sdl(schema: &GongzhiSchema) -> String {
    schema.sdl_with_options(async_graphql::SDLExportOptions::new().sorted_fields())
}
