//! Redeeming a volunteer's points.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use crate::domain::transaction::Db;
use crate::domain::volunteering::{self, PointsOutcome, VolunteeringRefusal};
use crate::graphql::context::ContextExt;
use crate::graphql::errors::OrGql;
use crate::graphql::ids::decode_as;
use crate::graphql::mutations::run_once;
use crate::graphql::mutations::user_errors::{UserError, user_errors};
use crate::graphql::types::{Person, PointsEntry};

/// Redeem a volunteer's points (staff of their community or above).
#[derive(Debug, InputObject)]
pub struct RedeemVolunteerPointsInput {
    /// The volunteer.
    pub volunteer_id: ID,
    /// How many points; no more than the balance.
    pub points: i32,
    /// What they were redeemed for. 1 to 500 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 500))]
    pub note: String,
    /// Makes retries safe, as for `createVolunteerActivity`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// The result of a redemption.
#[derive(SimpleObject)]
pub struct PointsEntryPayload {
    /// The debit written; null when there are user errors.
    pub entry: Option<PointsEntry>,
    /// Why nothing was redeemed; empty when the points were.
    pub user_errors: Vec<UserError<VolunteeringRefusal>>,
}

impl From<PointsOutcome> for PointsEntryPayload {
    fn from(outcome: PointsOutcome) -> Self {
        Self {
            entry: outcome.changed.map(PointsEntry),
            user_errors: user_errors(&outcome.refusals),
        }
    }
}

#[derive(Default)]
pub struct PointsMutation;

#[Object]
impl PointsMutation {
    /// Redeems a volunteer's points in the "love supermarket" (staff of their community or
    /// above); refused with `INSUFFICIENT_POINTS` beyond the balance, which never goes negative.
    async fn redeem_volunteer_points(
        &self,
        ctx: &Context<'_>,
        input: RedeemVolunteerPointsInput,
    ) -> Result<PointsEntryPayload> {
        let request = ctx.request()?;
        let person = decode_as::<Person>("volunteerId", &input.volunteer_id).or_gql()?;
        let fingerprint = (person, input.points, &input.note);
        // The work borrows what the idempotency key's fingerprint borrows too.
        let input = &input;
        let redeem = |db: Db| async move {
            volunteering::redeem_points(
                &db,
                &request.principal,
                person,
                input.points,
                input.note.clone(),
            )
            .await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "redeemVolunteerPoints",
            &fingerprint,
            redeem,
        )
        .await
    }
}
