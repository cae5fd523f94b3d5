//! Business rules, free of GraphQL: who may see which rows, and (area by area) the transactions
//! that change them.

pub mod audit;
pub mod idempotency;
pub mod scope;
mod transaction;
pub mod wishes;
