use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use std::future::Future;

use super::UserError;
use crate::domain::idempotency::{Idempotent, KeyLifetime};
use crate::domain::wishes::{self, WishOutcome, WishRules};
use crate::error::{ApiError, OrGql};
use crate::graphql::context::ContextExt;
use crate::graphql::node::decode_as;
use crate::graphql::types::MicroWish;

/// Claim an open wish.
#[derive(Debug, InputObject)]
pub struct ClaimMicroWishInput {
    /// The wish to claim.
    pub wish_id: ID,
    /// Makes retries safe: a retry with the same key and input returns the first result and
    /// changes nothing; the key with another input is a CONFLICT. Keys are the caller's own
    /// and expire after 24 hours.
    pub idempotency_key: Option<String>,
}

/// Release a claim the caller holds, reopening the wish.
#[derive(Debug, InputObject)]
pub struct ReleaseMicroWishClaimInput {
    /// The wish whose claim to release.
    pub wish_id: ID,
    /// Makes retries safe, as for `claimMicroWish`.
    pub idempotency_key: Option<String>,
}

/// The result of a change to a micro-wish.
#[derive(SimpleObject)]
pub struct MicroWishPayload {
    /// The wish as it stands after the mutation (unchanged when there are user errors).
    pub wish: Option<MicroWish>,
    /// Why the change was refused; empty when it was made.
    pub user_errors: Vec<UserError>,
}

impl From<WishOutcome> for MicroWishPayload {
    fn from(outcome: WishOutcome) -> Self {
        let user_errors = outcome
            .refusal
            .map(|refusal| UserError {
                field: Some(vec!["wishId".to_owned()]),
                message: refusal.to_string(),
                code: refusal.code().to_owned(),
            })
            .into_iter()
            .collect();
        Self {
            wish: Some(MicroWish(outcome.wish)),
            user_errors,
        }
    }
}

#[derive(Default)]
pub struct WishMutation;

#[Object]
impl WishMutation {
    /// Claims an open wish for the caller: its organisation (API clients and organisation
    /// administrators) or the caller as a Party member or volunteer. Of concurrent claims of one
    /// wish exactly one succeeds; the others get `ALREADY_CLAIMED`. Needs `wishes:write` from
    /// API clients.
    async fn claim_micro_wish(
        &self,
        ctx: &Context<'_>,
        input: ClaimMicroWishInput,
    ) -> Result<MicroWishPayload> {
        let request = ctx.request()?;
        let wish_id = decode_as::<MicroWish>("wishId", &input.wish_id).or_gql()?;
        let rules = *ctx.data::<WishRules>()?;
        let claim = wishes::claim_wish(&request.db, &request.principal, wish_id, rules);
        let outcome = idempotent(
            ctx,
            &input.idempotency_key,
            "claimMicroWish",
            &wish_id,
            claim,
        )
        .await?;
        Ok(outcome.into())
    }

    /// Releases the caller's active claim of a wish; the wish reopens. Refused with
    /// `NOT_CLAIMANT` for anyone but the claimant.
    async fn release_micro_wish_claim(
        &self,
        ctx: &Context<'_>,
        input: ReleaseMicroWishClaimInput,
    ) -> Result<MicroWishPayload> {
        let request = ctx.request()?;
        let wish_id = decode_as::<MicroWish>("wishId", &input.wish_id).or_gql()?;
        let release = wishes::release_claim(&request.db, &request.principal, wish_id);
        let outcome = idempotent(
            ctx,
            &input.idempotency_key,
            "releaseMicroWishClaim",
            &wish_id,
            release,
        )
        .await?;
        Ok(outcome.into())
    }
}

/// Runs a wish mutation once per idempotency key.
async fn idempotent(
    ctx: &Context<'_>,
    key: &Option<String>,
    operation: &'static str,
    wish_id: &i64,
    mutation: impl Future<Output = Result<WishOutcome, ApiError>>,
) -> Result<WishOutcome> {
    let request = ctx.request()?;
    let KeyLifetime(lifetime) = *ctx.data::<KeyLifetime>()?;
    Idempotent {
        key: key.as_deref(),
        operation,
        input: wish_id,
        lifetime,
    }
    .run(&request.db, &request.principal, mutation)
    .await
    .or_gql()
}
