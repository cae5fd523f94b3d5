//! Service records: confirming them, and correcting confirmed ones with compensating records.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use crate::domain::transaction::Db;
use crate::domain::volunteering::{self, RecordOutcome, VolunteeringRefusal, VolunteeringRules};
use crate::graphql::context::ContextExt;
use crate::graphql::errors::OrGql;
use crate::graphql::ids::decode_as;
use crate::graphql::mutations::run_once;
use crate::graphql::mutations::user_errors::{UserError, user_errors};
use crate::graphql::types::ServiceRecord;

/// A change to a service record that needs nothing but the record.
#[derive(Debug, InputObject)]
pub struct ServiceRecordInput {
    /// The record.
    pub record_id: ID,
    /// Makes retries safe, as for `createVolunteerActivity`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// Correct a confirmed service record with a compensating record (the recording organisation).
#[derive(Debug, InputObject)]
pub struct CorrectServiceRecordInput {
    /// The record to correct (or one of its corrections).
    pub record_id: ID,
    /// Minutes to add (positive) or take away (negative).
    pub minutes: i32,
    /// Why the record is corrected. 1 to 500 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 500))]
    pub reason: String,
    /// Makes retries safe, as for `createVolunteerActivity`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// The result of a change to a service record.
#[derive(SimpleObject)]
pub struct ServiceRecordPayload {
    /// The record confirmed, or the compensating record a correction made (the record named,
    /// unchanged, when there are user errors).
    pub record: Option<ServiceRecord>,
    /// Why the change was refused; empty when it was made.
    pub user_errors: Vec<UserError<VolunteeringRefusal>>,
}

impl From<RecordOutcome> for ServiceRecordPayload {
    fn from(outcome: RecordOutcome) -> Self {
        Self {
            record: outcome.changed.map(ServiceRecord),
            user_errors: user_errors(&outcome.refusals),
        }
    }
}

pub(super) fn record_id(id: &ID) -> Result<i64> {
    decode_as::<ServiceRecord>("recordId", id).or_gql()
}

#[derive(Default)]
pub struct RecordMutation;

#[Object]
impl RecordMutation {
    /// Confirms a pending service record; it is immutable from then on (the recording
    /// organisation).
    async fn confirm_service_record(
        &self,
        ctx: &Context<'_>,
        input: ServiceRecordInput,
    ) -> Result<ServiceRecordPayload> {
        let request = ctx.request()?;
        let record_id = record_id(&input.record_id)?;
        let rules = *ctx.data::<VolunteeringRules>()?;
        let confirm = |db: Db| async move {
            volunteering::confirm_record(&db, &request.principal, record_id, rules).await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "confirmServiceRecord",
            &record_id,
            confirm,
        )
        .await
    }

    /// Corrects a confirmed record with a new compensating record and a reason (the recording
    /// organisation). The service's total stays between zero and the scheduled span plus the
    /// tolerance.
    async fn correct_service_record(
        &self,
        ctx: &Context<'_>,
        input: CorrectServiceRecordInput,
    ) -> Result<ServiceRecordPayload> {
        let request = ctx.request()?;
        let record_id = record_id(&input.record_id)?;
        let rules = *ctx.data::<VolunteeringRules>()?;
        let fingerprint = (record_id, input.minutes, &input.reason);
        // The work borrows what the idempotency key's fingerprint borrows too.
        let input = &input;
        let correct = |db: Db| async move {
            volunteering::correct_record(
                &db,
                &request.principal,
                record_id,
                input.minutes,
                input.reason.clone(),
                rules,
            )
            .await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "correctServiceRecord",
            &fingerprint,
            correct,
        )
        .await
    }
}
