//! Business rules, free of GraphQL: who may see which rows, and (area by area) the transactions
//! that change them.

pub mod audit;
pub mod calendar;
pub mod dual_reporting;
pub mod idempotency;
pub mod outcome;
pub mod permissions;
pub mod rows;
pub mod scope;
pub mod statistics;
pub mod transaction;
pub mod trusted_documents;
pub mod volunteering;
pub mod wishes;

/// The rules the settings set for every area, made once at start-up (by `lib.rs`, the one place
/// that reads settings into rules) and handed to the domain's functions by the GraphQL layer.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub wishes: wishes::WishRules,
    pub volunteering: volunteering::VolunteeringRules,
    pub key_lifetime: idempotency::KeyLifetime,
}
