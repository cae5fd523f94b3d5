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
mod transaction;
pub mod volunteering;
pub mod wishes;
