//! The mutation root: one `XxxMutation` per area, merged. Every mutation takes one `input` and
//! returns a payload with the changed object and `userErrors` for rule violations.

mod dual_reporting;
mod feedback_reports;
mod member_reports;
mod org_registrations;
mod service_posts;
mod volunteer_teams;
mod volunteering;
mod wishes;

use std::future::Future;

use async_graphql::{Context, MergedObject, Result, SimpleObject};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::idempotency::{Idempotent, KeyLifetime};
use crate::error::ApiError;
use crate::graphql::context::ContextExt;
use crate::graphql::errors::OrGql;

/// Changes to the district's shared resources.
#[derive(MergedObject, Default)]
pub struct Mutation(
    wishes::WishMutation,
    dual_reporting::DualReportingMutation,
    feedback_reports::FeedbackReportMutation,
    member_reports::MemberReportMutation,
    org_registrations::OrgRegistrationMutation,
    service_posts::ServicePostMutation,
    volunteering::VolunteeringMutation,
    volunteer_teams::VolunteerTeamMutation,
);

/// A rule the change would break. Nothing was changed.
#[derive(Debug, Clone, SimpleObject)]
pub struct UserError {
    /// The input field the error is about, as a path from the input (e.g. `["wishId"]`); null
    /// when it is about the request as a whole.
    pub field: Option<Vec<String>>,
    /// What went wrong, for people.
    pub message: String,
    /// What went wrong, for programs: a stable code such as `ALREADY_CLAIMED`.
    pub code: String,
}

/// Runs a mutation once per idempotency key: a retry with the key gets the first outcome.
pub(super) async fn idempotent<I: Serialize, T: Serialize + DeserializeOwned>(
    ctx: &Context<'_>,
    key: &Option<String>,
    operation: &'static str,
    input: &I,
    mutation: impl Future<Output = Result<T, ApiError>>,
) -> Result<T> {
    let request = ctx.request()?;
    let KeyLifetime(lifetime) = *ctx.data::<KeyLifetime>()?;
    Idempotent {
        key: key.as_deref(),
        operation,
        input,
        lifetime,
    }
    .run(&request.db, &request.principal, mutation)
    .await
    .or_gql()
}
