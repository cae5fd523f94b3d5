//! An organisation's administrators register and remove the trusted documents of its API
//! clients.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};

use crate::domain::transaction::Db;
use crate::domain::trusted_documents::{
    self, DocumentId, DocumentsOutcome, MAX_PER_CALL, TrustedDocumentRefusal,
};
use crate::graphql::Validator;
use crate::graphql::context::ContextExt;
use crate::graphql::mutations::run_once;
use crate::graphql::mutations::user_errors::{UserError, user_errors};
use crate::graphql::types::TrustedDocument;

/// Register GraphQL documents for one of the organisation's API clients.
#[derive(Debug, InputObject)]
pub struct RegisterTrustedDocumentsInput {
    /// The client's OAuth2 `client_id` (`gz_…`).
    pub client_id: String,
    /// The documents' texts, 1 to 100, each valid against the schema; a document is known by
    /// the SHA-256 of its text byte for byte, so register exactly what the app sends.
    pub documents: Vec<String>,
}

/// Remove trusted documents from one of the organisation's API clients.
#[derive(Debug, InputObject)]
pub struct RemoveTrustedDocumentsInput {
    /// The client's OAuth2 `client_id` (`gz_…`).
    pub client_id: String,
    /// The documents' ids (`sha256:…`), 1 to 100.
    pub document_ids: Vec<String>,
}

/// The result of registering or removing trusted documents.
#[derive(SimpleObject)]
pub struct TrustedDocumentsPayload {
    /// The documents registered (all those given, including any the client had already) or
    /// removed, by `documentId`; null when there are user errors.
    pub documents: Option<Vec<TrustedDocument>>,
    /// Why nothing was changed; empty when the change was made.
    pub user_errors: Vec<UserError<TrustedDocumentRefusal>>,
}

impl From<DocumentsOutcome> for TrustedDocumentsPayload {
    fn from(outcome: DocumentsOutcome) -> Self {
        Self {
            documents: outcome
                .changed
                .map(|documents| documents.into_iter().map(TrustedDocument).collect()),
            user_errors: user_errors(&outcome.refusals),
        }
    }
}

#[derive(Default)]
pub struct TrustedDocumentMutation;

#[Object]
impl TrustedDocumentMutation {
    /// Registers documents for an API client of the caller's organisation (its administrators:
    /// `org_admin`, `party_unit_admin`); the client may then send `{"documentId": "sha256:…"}`
    /// instead of a document's text, and a client that runs trusted documents only may run
    /// them. Registering a document again changes nothing. User errors: `CLIENT_NOT_FOUND`,
    /// `WRONG_NUMBER_OF_DOCUMENTS` (1 to 100), `INVALID_DOCUMENT` (with `field`
    /// `["input", "documents", "<index>"]`: send it as a query to see why),
    /// `TOO_MANY_DOCUMENTS` (1,000 a client).
    async fn register_trusted_documents(
        &self,
        ctx: &Context<'_>,
        input: RegisterTrustedDocumentsInput,
    ) -> Result<TrustedDocumentsPayload> {
        let request = ctx.request()?;
        let validator = ctx.data::<std::sync::Arc<Validator>>()?;
        // Validating costs a parse each: the count is checked first.
        if input.documents.len() <= MAX_PER_CALL {
            for (index, document) in input.documents.iter().enumerate() {
                if !validator.problems(document).await.is_empty() {
                    let error = UserError::under(
                        TrustedDocumentRefusal::InvalidDocument,
                        &["documents", &index.to_string()],
                    );
                    return Ok(TrustedDocumentsPayload {
                        documents: None,
                        user_errors: vec![error],
                    });
                }
            }
        }
        let input = &input;
        let register = |db: Db| async move {
            trusted_documents::register(&db, &request.principal, &input.client_id, &input.documents)
                .await
        };
        run_once(ctx, &None, "registerTrustedDocuments", &(), register).await
    }

    /// Removes trusted documents from an API client of the caller's organisation (its
    /// administrators); the client can no longer run them by id from its next request. User
    /// errors: `CLIENT_NOT_FOUND`, `WRONG_NUMBER_OF_DOCUMENTS` (1 to 100),
    /// `DOCUMENT_NOT_FOUND` (an id that is not the client's: nothing is removed).
    async fn remove_trusted_documents(
        &self,
        ctx: &Context<'_>,
        input: RemoveTrustedDocumentsInput,
    ) -> Result<TrustedDocumentsPayload> {
        let request = ctx.request()?;
        let refused = |refusal| TrustedDocumentsPayload {
            documents: None,
            user_errors: vec![UserError::new(refusal).about("documentIds")],
        };
        if input.document_ids.is_empty() || input.document_ids.len() > MAX_PER_CALL {
            return Ok(refused(TrustedDocumentRefusal::WrongNumber));
        }
        let Some(ids) = input
            .document_ids
            .iter()
            .map(|id| DocumentId::parse(id))
            .collect::<Option<Vec<_>>>()
        else {
            // Not an id at all: no document of the client has it.
            return Ok(refused(TrustedDocumentRefusal::DocumentNotFound));
        };
        let (client_id, ids) = (&input.client_id, &ids);
        let remove = |db: Db| async move {
            trusted_documents::remove(&db, &request.principal, client_id, ids).await
        };
        run_once(ctx, &None, "removeTrustedDocuments", &(), remove).await
    }
}
