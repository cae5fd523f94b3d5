//! Traffic governance: every caller spends query-cost points from a leaky bucket of its own
//! ([`bucket`]), kept in Redis across instances or in this process ([`budgets`]), sized by who
//! the caller is ([`callers`]); failed sign-ins spend from buckets of their own
//! ([`attempts`]). It sits between HTTP, which asks it before a query runs, and
//! auth, whose principal names the caller.

pub mod attempts;
pub mod bucket;
pub mod budgets;
pub mod callers;

pub use attempts::{AttemptLimits, Attempts, Credential};
pub use bucket::{Decision, Limits, Standing};
pub use budgets::Budgets;
pub use callers::Policy;
