use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use crate::domain::dual_reporting::org_registrations::{
    self, Commitments, OrgRegistrationOutcome, OrgRegistrationRefusal,
};
use crate::domain::transaction::Db;
use crate::graphql::context::ContextExt;
use crate::graphql::errors::OrGql;
use crate::graphql::ids::decode_as;
use crate::graphql::mutations::run_once;
use crate::graphql::mutations::user_errors::{UserError, user_errors};
use crate::graphql::types::{AdminUnit, OrgRegistration, Organization};

/// Register an organisation with a community for the current year.
#[derive(Debug, InputObject)]
pub struct RegisterOrganizationInput {
    /// The registering organisation: the caller's own.
    pub organization_id: ID,
    /// The community registered with.
    pub community_id: ID,
    /// What the organisation offers: resources, skills, funds. At most 2000 characters.
    #[graphql(validator(chars_max_length = 2000))]
    pub offers: String,
    /// What the organisation needs from the community. At most 2000 characters.
    #[graphql(validator(chars_max_length = 2000))]
    pub needs: String,
    /// Co-building projects the organisation proposes. At most 2000 characters.
    #[graphql(validator(chars_max_length = 2000))]
    pub projects: String,
    /// Makes retries safe: a retry with the same key and input returns the first result and
    /// changes nothing; the key with another input is a CONFLICT. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// Accept or return a submitted organisation registration.
#[derive(Debug, InputObject)]
pub struct DecideOrgRegistrationInput {
    /// The registration decided on.
    pub registration_id: ID,
    /// The community's note; required when returning. At most 500 characters.
    #[graphql(validator(chars_max_length = 500))]
    pub note: Option<String>,
    /// Makes retries safe, as for `registerOrganization`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// One side's part of the yearly review of an accepted registration.
#[derive(Debug, InputObject)]
pub struct ReviewOrgRegistrationInput {
    /// The registration reviewed.
    pub registration_id: ID,
    /// The rating, 1–5: the community's of the organisation, or the organisation's of the
    /// community, by who the caller is.
    pub rating: i32,
    /// The community's note on the year. At most 500 characters.
    #[graphql(validator(chars_max_length = 500))]
    pub note: Option<String>,
    /// Makes retries safe, as for `registerOrganization`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// The result of a change to an organisation registration.
#[derive(SimpleObject)]
pub struct OrgRegistrationPayload {
    /// The registration as it stands after the mutation; unchanged (or null) when there are
    /// user errors.
    pub registration: Option<OrgRegistration>,
    /// Why the change was refused; empty when it was made.
    pub user_errors: Vec<UserError<OrgRegistrationRefusal>>,
}

impl From<OrgRegistrationOutcome> for OrgRegistrationPayload {
    fn from(outcome: OrgRegistrationOutcome) -> Self {
        Self {
            registration: outcome.changed.map(OrgRegistration),
            user_errors: user_errors(&outcome.refusals),
        }
    }
}

#[derive(Default)]
pub struct OrgRegistrationMutation;

#[Object]
impl OrgRegistrationMutation {
    /// An organisation's administrator or API client (with `registrations:write`) registers it
    /// with a community for the current year, listing its offers, needs and projects. One open
    /// registration per organisation and community: another is `ALREADY_REGISTERED`.
    async fn register_organization(
        &self,
        ctx: &Context<'_>,
        input: RegisterOrganizationInput,
    ) -> Result<OrgRegistrationPayload> {
        let request = ctx.request()?;
        let organization =
            decode_as::<Organization>("organizationId", &input.organization_id).or_gql()?;
        let community = decode_as::<AdminUnit>("communityId", &input.community_id).or_gql()?;
        let commitments = Commitments {
            offers: input.offers,
            needs: input.needs,
            projects: input.projects,
        };
        let key = (organization, community, commitments.clone());
        let commitments = &commitments;
        let register = |db: Db| async move {
            org_registrations::register_organization(
                &db,
                &request.principal,
                organization,
                community,
                commitments.clone(),
            )
            .await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "registerOrganization",
            &key,
            register,
        )
        .await
    }

    /// The community's staff accept a submitted organisation registration.
    async fn accept_org_registration(
        &self,
        ctx: &Context<'_>,
        input: DecideOrgRegistrationInput,
    ) -> Result<OrgRegistrationPayload> {
        decide(ctx, input, true, "acceptOrgRegistration").await
    }

    /// The community's staff return a submitted organisation registration with a note saying
    /// what to change; the organisation may then register again.
    async fn return_org_registration(
        &self,
        ctx: &Context<'_>,
        input: DecideOrgRegistrationInput,
    ) -> Result<OrgRegistrationPayload> {
        decide(ctx, input, false, "returnOrgRegistration").await
    }

    /// The yearly review of an accepted registration: the community's staff rate the
    /// organisation, the organisation rates the community; each side once.
    async fn review_org_registration(
        &self,
        ctx: &Context<'_>,
        input: ReviewOrgRegistrationInput,
    ) -> Result<OrgRegistrationPayload> {
        let request = ctx.request()?;
        let id = decode_as::<OrgRegistration>("registrationId", &input.registration_id).or_gql()?;
        // The work borrows what the idempotency key's fingerprint borrows too.
        let input = &input;
        let review = |db: Db| async move {
            org_registrations::review(
                &db,
                &request.principal,
                id,
                input.rating,
                input.note.as_deref(),
            )
            .await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "reviewOrgRegistration",
            &(id, input.rating, &input.note),
            review,
        )
        .await
    }

    /// The organisation withdraws a submitted or accepted registration; it may register with
    /// the community again later. Anything else is `NOT_OPEN`.
    async fn withdraw_org_registration(
        &self,
        ctx: &Context<'_>,
        input: WithdrawOrgRegistrationInput,
    ) -> Result<OrgRegistrationPayload> {
        let request = ctx.request()?;
        let id = decode_as::<OrgRegistration>("registrationId", &input.registration_id).or_gql()?;
        let withdraw =
            |db: Db| async move { org_registrations::withdraw(&db, &request.principal, id).await };
        run_once(
            ctx,
            &input.idempotency_key,
            "withdrawOrgRegistration",
            &id,
            withdraw,
        )
        .await
    }
}

/// Withdraw an organisation's registration.
#[derive(Debug, InputObject)]
pub struct WithdrawOrgRegistrationInput {
    /// The submitted or accepted registration to withdraw.
    pub registration_id: ID,
    /// Makes retries safe, as for `registerOrganization`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

async fn decide(
    ctx: &Context<'_>,
    input: DecideOrgRegistrationInput,
    accept: bool,
    operation: &'static str,
) -> Result<OrgRegistrationPayload> {
    let request = ctx.request()?;
    let id = decode_as::<OrgRegistration>("registrationId", &input.registration_id).or_gql()?;
    // The work borrows what the idempotency key's fingerprint borrows too.
    let input = &input;
    let decision = |db: Db| async move {
        org_registrations::decide(&db, &request.principal, id, accept, input.note.as_deref()).await
    };
    run_once(
        ctx,
        &input.idempotency_key,
        operation,
        &(id, &input.note),
        decision,
    )
    .await
}
