//! The mutation root: one `XxxMutation` per area, merged. Every mutation takes one `input` and
//! returns a payload with the changed object and `userErrors` for rule violations (see
//! [`user_errors`]); mutations partners retry take an `idempotencyKey` ([`run_once`]).

mod dual_reporting;
mod user_errors;
mod volunteering;
mod wishes;

pub use user_errors::AnyUserError;

use std::future::Future;

use async_graphql::{Context, MergedObject, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::idempotency::{Idempotent, KeyLifetime};
use crate::domain::transaction::Db;
use crate::error::ApiError;
use crate::graphql::context::ContextExt;
use crate::graphql::errors::OrGql;

/// Changes to the district's shared resources.
#[derive(MergedObject, Default)]
pub struct Mutation(
    dual_reporting::DualReportingMutation,
    volunteering::VolunteeringMutation,
    wishes::WishMutation,
);

/// Runs a mutation once per idempotency key — a retry with the key and the same input gets the
/// first outcome without running it again — and shapes its payload. `mutation` does its work
/// on the [`Db`] it is given: with a key, the transaction that also holds the key and stores
/// the outcome.
pub(super) async fn run_once<O, P, Fut>(
    ctx: &Context<'_>,
    key: &Option<String>,
    operation: &'static str,
    input: &impl Serialize,
    mutation: impl FnOnce(Db) -> Fut,
) -> Result<P>
where
    O: Serialize + DeserializeOwned,
    P: From<O>,
    Fut: Future<Output = Result<O, ApiError>>,
{
    let request = ctx.request()?;
    let KeyLifetime(lifetime) = *ctx.data::<KeyLifetime>()?;
    Idempotent {
        key: key.as_deref(),
        operation,
        input,
        lifetime,
    }
    .run(&request.pool, &request.principal, |db| {
        Box::pin(mutation(db))
    })
    .await
    .map(P::from)
    .or_gql()
}
