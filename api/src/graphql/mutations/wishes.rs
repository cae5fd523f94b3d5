use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entities::micro_wish::WishCategory;

use super::run_once;
use super::user_errors::{UserError, user_errors};
use crate::domain::transaction::Db;
use crate::domain::wishes::{
    self, DisputeResolution, Evidence, NewWish, WishOutcome, WishRefusal, WishRules,
};
use crate::error::ApiError;
use crate::graphql::context::ContextExt;
use crate::graphql::errors::OrGql;
use crate::graphql::ids::{decode_as, optional_id};
use crate::graphql::types::{MicroWish, Person};

/// Submit a wish: a resident for themself, or grid staff for a resident of their grid.
#[derive(Debug, InputObject)]
pub struct SubmitMicroWishInput {
    /// The resident the wish is for; omitted when residents submit for themselves.
    pub beneficiary_id: Option<ID>,
    /// A short title. 1 to 100 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 100))]
    pub title: String,
    /// What is wished for, in the resident's words. 1 to 2000 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 2000))]
    pub description: String,
    /// What the wish asks for.
    pub category: WishCategory,
    /// Estimated value in fen (1/100 yuan).
    #[graphql(validator(minimum = 0))]
    pub estimated_value_cents: i32,
    /// When the wish expires if nobody has claimed it; in the future.
    pub deadline: DateTime<Utc>,
    /// Makes retries safe: a retry with the same key and input returns the first result and
    /// changes nothing; the key with another input is a CONFLICT. Keys are the caller's own and
    /// expire after 24 hours. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// What staff decide about a submitted wish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ReviewDecision {
    /// Publish it: the wish opens for claimants.
    Publish,
    /// Reject it, with a note saying why.
    Reject,
}

/// Publish or reject a submitted wish (community staff).
#[derive(Debug, InputObject)]
pub struct ReviewMicroWishInput {
    /// The wish to review.
    pub wish_id: ID,
    /// Publish or reject.
    pub decision: ReviewDecision,
    /// The reviewer's note; the reason, when rejecting. At most 500 characters.
    #[graphql(validator(chars_max_length = 500))]
    pub note: Option<String>,
    /// Makes retries safe, as for `submitMicroWish`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// A change to a wish that needs nothing but the wish: claiming, releasing a claim, disputing,
/// withdrawing, taking down.
#[derive(Debug, InputObject)]
#[graphql(name = "MicroWishInput")]
pub struct WishInput {
    /// The wish.
    pub wish_id: ID,
    /// Makes retries safe, as for `submitMicroWish`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// Report a claimed wish fulfilled, with evidence (the claimant).
#[derive(Debug, InputObject)]
pub struct DeliverMicroWishInput {
    /// The wish delivered.
    pub wish_id: ID,
    /// What was done. 1 to 2000 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 2000))]
    pub note: String,
    /// Photos of the delivery. At most 9 items, each at most 2000 characters.
    #[graphql(default, validator(max_items = 9, list, chars_max_length = 2000))]
    pub photo_urls: Vec<String>,
    /// Makes retries safe, as for `submitMicroWish`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// Confirm a delivery (the beneficiary, or grid staff for them).
#[derive(Debug, InputObject)]
pub struct ConfirmMicroWishInput {
    /// The wish whose delivery to confirm.
    pub wish_id: ID,
    /// The resident's rating of the fulfilment, 1–5.
    pub rating: i16,
    /// The resident's feedback. At most 2000 characters.
    #[graphql(validator(chars_max_length = 2000))]
    pub feedback: Option<String>,
    /// Makes retries safe, as for `submitMicroWish`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// How staff settle a disputed delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "DisputeResolution")]
pub enum DisputeResolutionInput {
    /// The claimant carries on: back to claimed, with a new claim period
    /// (`GONGZHI_CLAIM_PERIOD_DAYS`, 7 days by default) from now to deliver again.
    BackToClaimed,
    /// The claim is revoked and the wish reopens.
    RevokeClaim,
}

/// Settle a disputed delivery (community staff).
#[derive(Debug, InputObject)]
pub struct ResolveMicroWishDisputeInput {
    /// The disputed wish.
    pub wish_id: ID,
    /// How to settle it.
    pub resolution: DisputeResolutionInput,
    /// Makes retries safe, as for `submitMicroWish`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// The result of a change to a micro-wish.
#[derive(SimpleObject)]
pub struct MicroWishPayload {
    /// The wish as it stands after the mutation (unchanged when there are user errors; null
    /// when a submission was refused).
    pub wish: Option<MicroWish>,
    /// Why the change was refused; empty when it was made.
    pub user_errors: Vec<UserError<WishRefusal>>,
}

impl From<WishOutcome> for MicroWishPayload {
    fn from(outcome: WishOutcome) -> Self {
        Self {
            wish: outcome.changed.map(MicroWish),
            user_errors: user_errors(&outcome.refusals),
        }
    }
}

#[derive(Default)]
pub struct WishMutation;

#[Object]
impl WishMutation {
    /// Submits a wish for review: a resident for themself, or grid staff for a resident of
    /// their grid (`beneficiaryId`). Needs a signed-in caller (`UNAUTHENTICATED`); a
    /// beneficiary the caller may not read is `NOT_FOUND`, as in reads; anyone else who may read
    /// the beneficiary is refused with `NOT_PERMITTED`.
    async fn submit_micro_wish(
        &self,
        ctx: &Context<'_>,
        input: SubmitMicroWishInput,
    ) -> Result<MicroWishPayload> {
        let request = ctx.request()?;
        let beneficiary_id =
            optional_id::<Person>("beneficiaryId", input.beneficiary_id.as_ref()).or_gql()?;
        let new = NewWish {
            beneficiary_id,
            title: input.title,
            description: input.description,
            category: input.category,
            estimated_value_cents: input.estimated_value_cents,
            deadline: input.deadline,
        };
        let fingerprint = serde_json::to_value(&new)
            .map_err(|_| ApiError::Internal)
            .or_gql()?;
        let new = &new;
        let submit =
            |db: Db| async move { wishes::submit_wish(&db, &request.principal, new.clone()).await };
        run_once(
            ctx,
            &input.idempotency_key,
            "submitMicroWish",
            &fingerprint,
            submit,
        )
        .await
    }

    /// Publishes a submitted wish or rejects it with a note (staff of its community or above).
    async fn review_micro_wish(
        &self,
        ctx: &Context<'_>,
        input: ReviewMicroWishInput,
    ) -> Result<MicroWishPayload> {
        let request = ctx.request()?;
        let wish_id = wish_id(&input.wish_id)?;
        let publish = input.decision == ReviewDecision::Publish;
        let fingerprint = (wish_id, publish, &input.note);
        // The work borrows what the idempotency key's fingerprint borrows too.
        let input = &input;
        let review = |db: Db| async move {
            wishes::review_wish(
                &db,
                &request.principal,
                wish_id,
                publish,
                input.note.clone(),
            )
            .await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "reviewMicroWish",
            &fingerprint,
            review,
        )
        .await
    }

    /// Claims an open wish for the caller: its organisation (API clients and organisation
    /// administrators) or the caller as a Party member or volunteer. Of concurrent claims of one
    /// wish exactly one succeeds; the others get `ALREADY_CLAIMED`. Needs `wishes:write` from
    /// API clients.
    async fn claim_micro_wish(
        &self,
        ctx: &Context<'_>,
        input: WishInput,
    ) -> Result<MicroWishPayload> {
        let request = ctx.request()?;
        let wish_id = wish_id(&input.wish_id)?;
        let rules = *ctx.data::<WishRules>()?;
        let claim = |db: Db| async move {
            wishes::claim_wish(&db, &request.principal, wish_id, rules).await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "claimMicroWish",
            &wish_id,
            claim,
        )
        .await
    }

    /// Releases the caller's active claim of a wish; the wish reopens. Refused with
    /// `NOT_CLAIMANT` for anyone else who may read the wish; a wish the caller may not read is
    /// `NOT_FOUND`, as in reads.
    async fn release_micro_wish_claim(
        &self,
        ctx: &Context<'_>,
        input: WishInput,
    ) -> Result<MicroWishPayload> {
        let request = ctx.request()?;
        let wish_id = wish_id(&input.wish_id)?;
        let release =
            |db: Db| async move { wishes::release_claim(&db, &request.principal, wish_id).await };
        run_once(
            ctx,
            &input.idempotency_key,
            "releaseMicroWishClaim",
            &wish_id,
            release,
        )
        .await
    }

    /// Reports a claimed wish fulfilled, with evidence (the claimant only).
    async fn deliver_micro_wish(
        &self,
        ctx: &Context<'_>,
        input: DeliverMicroWishInput,
    ) -> Result<MicroWishPayload> {
        let request = ctx.request()?;
        let wish_id = wish_id(&input.wish_id)?;
        let evidence = Evidence {
            note: input.note,
            photo_urls: input.photo_urls,
        };
        let fingerprint = (wish_id, &evidence);
        // The work borrows what the idempotency key's fingerprint borrows too.
        let evidence = &evidence;
        let deliver = |db: Db| async move {
            wishes::deliver_wish(&db, &request.principal, wish_id, evidence.clone()).await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "deliverMicroWish",
            &fingerprint,
            deliver,
        )
        .await
    }

    /// Confirms a delivery: the wish is realised (the beneficiary, or grid staff for them).
    async fn confirm_micro_wish(
        &self,
        ctx: &Context<'_>,
        input: ConfirmMicroWishInput,
    ) -> Result<MicroWishPayload> {
        let request = ctx.request()?;
        let wish_id = wish_id(&input.wish_id)?;
        let fingerprint = (wish_id, input.rating, &input.feedback);
        // The work borrows what the idempotency key's fingerprint borrows too.
        let input = &input;
        let confirm = |db: Db| async move {
            wishes::confirm_wish(
                &db,
                &request.principal,
                wish_id,
                input.rating,
                input.feedback.clone(),
            )
            .await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "confirmMicroWish",
            &fingerprint,
            confirm,
        )
        .await
    }

    /// Disputes a delivery; staff then settle it (the beneficiary, or grid staff for them).
    async fn dispute_micro_wish(
        &self,
        ctx: &Context<'_>,
        input: WishInput,
    ) -> Result<MicroWishPayload> {
        let request = ctx.request()?;
        let wish_id = wish_id(&input.wish_id)?;
        let dispute =
            |db: Db| async move { wishes::dispute_wish(&db, &request.principal, wish_id).await };
        run_once(
            ctx,
            &input.idempotency_key,
            "disputeMicroWish",
            &wish_id,
            dispute,
        )
        .await
    }

    /// Settles a disputed delivery: back to claimed, or the claim is revoked and the wish
    /// reopens (staff of its community or above).
    async fn resolve_micro_wish_dispute(
        &self,
        ctx: &Context<'_>,
        input: ResolveMicroWishDisputeInput,
    ) -> Result<MicroWishPayload> {
        let request = ctx.request()?;
        let wish_id = wish_id(&input.wish_id)?;
        let resolution = match input.resolution {
            DisputeResolutionInput::BackToClaimed => DisputeResolution::BackToClaimed,
            DisputeResolutionInput::RevokeClaim => DisputeResolution::RevokeClaim,
        };
        let rules = *ctx.data::<WishRules>()?;
        let resolve = |db: Db| async move {
            wishes::resolve_dispute(&db, &request.principal, wish_id, resolution, rules).await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "resolveMicroWishDispute",
            &(wish_id, resolution),
            resolve,
        )
        .await
    }

    /// Withdraws a wish nobody has claimed (its poster or beneficiary).
    async fn withdraw_micro_wish(
        &self,
        ctx: &Context<'_>,
        input: WishInput,
    ) -> Result<MicroWishPayload> {
        let request = ctx.request()?;
        let wish_id = wish_id(&input.wish_id)?;
        let withdraw =
            |db: Db| async move { wishes::withdraw_wish(&db, &request.principal, wish_id).await };
        run_once(
            ctx,
            &input.idempotency_key,
            "withdrawMicroWish",
            &wish_id,
            withdraw,
        )
        .await
    }

    /// Takes down a wish nobody has claimed (staff of its community or above).
    async fn take_down_micro_wish(
        &self,
        ctx: &Context<'_>,
        input: WishInput,
    ) -> Result<MicroWishPayload> {
        let request = ctx.request()?;
        let wish_id = wish_id(&input.wish_id)?;
        let take_down =
            |db: Db| async move { wishes::take_down_wish(&db, &request.principal, wish_id).await };
        run_once(
            ctx,
            &input.idempotency_key,
            "takeDownMicroWish",
            &wish_id,
            take_down,
        )
        .await
    }
}

fn wish_id(id: &ID) -> Result<i64> {
    decode_as::<MicroWish>("wishId", id).or_gql()
}
