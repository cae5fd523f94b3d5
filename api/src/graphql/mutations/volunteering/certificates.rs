//! Service certificates an organisation issues for a volunteer's confirmed service.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use crate::domain::transaction::Db;
use crate::domain::volunteering::{self, CertificateOutcome, VolunteeringRefusal};
use crate::graphql::context::ContextExt;
use crate::graphql::errors::OrGql;
use crate::graphql::ids::decode_as;
use crate::graphql::mutations::run_once;
use crate::graphql::mutations::user_errors::{UserError, user_errors};
use crate::graphql::types::{Person, ServiceCertificate};

/// Certify a volunteer's confirmed service with the caller's organisation over a period.
#[derive(Debug, InputObject)]
pub struct IssueServiceCertificateInput {
    /// The volunteer.
    pub volunteer_id: ID,
    /// The start of the period (by when services started).
    pub from: DateTime<Utc>,
    /// The end of the period, exclusive.
    pub to: DateTime<Utc>,
    /// Makes retries safe, as for `createVolunteerActivity`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// The result of issuing a service certificate.
#[derive(SimpleObject)]
pub struct ServiceCertificatePayload {
    /// The certificate issued; null when there are user errors.
    pub certificate: Option<ServiceCertificate>,
    /// Why no certificate was issued; empty when one was.
    pub user_errors: Vec<UserError<VolunteeringRefusal>>,
}

impl From<CertificateOutcome> for ServiceCertificatePayload {
    fn from(outcome: CertificateOutcome) -> Self {
        Self {
            certificate: outcome.changed.map(ServiceCertificate),
            user_errors: user_errors(&outcome.refusals),
        }
    }
}

#[derive(Default)]
pub struct CertificateMutation;

#[Object]
impl CertificateMutation {
    /// Certifies a volunteer's confirmed service with the caller's organisation in a period,
    /// corrections included (its API client or organisation administrators). Anyone can verify
    /// the certificate by its number with `verifyServiceCertificate`.
    async fn issue_service_certificate(
        &self,
        ctx: &Context<'_>,
        input: IssueServiceCertificateInput,
    ) -> Result<ServiceCertificatePayload> {
        let request = ctx.request()?;
        let person = decode_as::<Person>("volunteerId", &input.volunteer_id).or_gql()?;
        let fingerprint = (person, input.from, input.to);
        let issue = |db: Db| async move {
            volunteering::issue_certificate(&db, &request.principal, person, input.from, input.to)
                .await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "issueServiceCertificate",
            &fingerprint,
            issue,
        )
        .await
    }
}
