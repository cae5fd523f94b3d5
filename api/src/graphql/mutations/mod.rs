//! The mutation root: one `XxxMutation` per area, merged. Every mutation takes one `input` and
//! returns a payload with the changed object and `userErrors` for rule violations (see
//! [`user_errors`]); mutations partners retry take an `idempotencyKey` ([`run_once`]).

mod dual_reporting;
mod trusted_documents;
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
    trusted_documents::TrustedDocumentMutation,
    volunteering::VolunteeringMutation,
    wishes::WishMutation,
);

/// How many times a mutation runs when the database rolls it back for colliding with concurrent
/// ones (a deadlock): the first run and two more.
const ATTEMPTS: u32 = 3;

/// Runs a mutation once per idempotency key — a retry with the key and the same input gets the
/// first outcome without running it again — and shapes its payload. `mutation` does its work
/// on the [`Db`] it is given: with a key, the transaction that also holds the key and stores
/// the outcome. A run the database rolled back as a deadlock victim did nothing, so it is run
/// again, up to [`ATTEMPTS`] times, before the caller is told to retry.
pub(super) async fn run_once<O, P, Fut>(
    ctx: &Context<'_>,
    key: &Option<String>,
    operation: &'static str,
    input: &impl Serialize,
    mutation: impl Fn(Db) -> Fut,
) -> Result<P>
where
    O: Serialize + DeserializeOwned,
    P: From<O>,
    Fut: Future<Output = Result<O, ApiError>>,
{
    let request = ctx.request()?;
    let KeyLifetime(lifetime) = *ctx.data::<KeyLifetime>()?;
    let mut attempt = 1;
    loop {
        let outcome = Idempotent {
            key: key.as_deref(),
            operation,
            input,
            lifetime,
        }
        .run(&request.pool, &request.principal, |db| {
            Box::pin(mutation(db))
        })
        .await;
        match outcome {
            Err(ApiError::Contended) if attempt < ATTEMPTS => {
                // A short, growing pause lets the transaction that won go first.
                tokio::time::sleep(std::time::Duration::from_millis(10 * u64::from(attempt))).await;
                attempt += 1;
            }
            outcome => return outcome.map(P::from).or_gql(),
        }
    }
}
