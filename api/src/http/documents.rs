//! Which document a request runs: its text, or a document named by its id — one of the
//! caller's trusted documents, or one this instance has seen (automatic persisted queries, in
//! Apollo's protocol: a hash this instance does not know is answered `PersistedQueryNotFound`,
//! and the client sends the text with the hash once). A client that runs trusted documents
//! only runs nothing else.

use std::sync::Arc;

use async_graphql::ServerError;
use entities::api_client;
use sea_orm::DbErr;

use super::state::AppState;
use crate::domain::trusted_documents::{self, DocumentId};
use crate::error::ErrorCode;
use crate::graphql::Prepared;
use crate::graphql::errors::request_error;

/// Why a request's document could not be had.
pub(super) enum Unresolved {
    /// A request error with its code: nothing ran.
    Refused(ServerError),
    Database(DbErr),
}

impl From<ServerError> for Unresolved {
    fn from(refusal: ServerError) -> Self {
        Self::Refused(refusal)
    }
}

impl From<DbErr> for Unresolved {
    fn from(err: DbErr) -> Self {
        Self::Database(err)
    }
}

/// The document a request runs, checked: by its `text`, by its `id`, or both (then the id must
/// be the text's). `client` is the caller's API client, if it is one.
pub(super) async fn resolve(
    app: &AppState,
    client: Option<&api_client::Model>,
    text: Option<String>,
    id: Option<DocumentId>,
) -> Result<Arc<Prepared>, Unresolved> {
    // The text's own id, computed once: it must be the id sent beside it.
    let text = text.map(|text| (DocumentId::of(&text), text));
    if let (Some((own, _)), Some(id)) = (&text, id)
        && *own != id
    {
        return Err(request_error(
            format!("the document's SHA-256 is not {id}"),
            ErrorCode::BadUserInput,
            None,
        )
        .into());
    }
    if let Some(client) = client.filter(|client| client.trusted_documents_only) {
        let Some(id) = id else {
            return Err(request_error(
                format!(
                    "client `{}` runs trusted documents only: send a registered document's id \
                     as `documentId`, not its text",
                    client.client_id
                ),
                ErrorCode::PersistedQueryNotAllowed,
                None,
            )
            .into());
        };
        let Some(text) = trusted_documents::find(&app.db, client.id, id).await? else {
            return Err(request_error(
                format!(
                    "{id} is not a trusted document of client `{}`, which runs trusted \
                     documents only",
                    client.client_id
                ),
                ErrorCode::PersistedQueryNotAllowed,
                None,
            )
            .into());
        };
        return Ok(app.checks.prepare_as(id, text)?);
    }
    if let Some((id, text)) = text {
        return Ok(app.checks.prepare_as(id, text)?);
    }
    let Some(id) = id else {
        unreachable!("a request names its document by text or by id");
    };
    if let Some(prepared) = app.checks.known(id) {
        return Ok(prepared);
    }
    if let Some(client) = client
        && let Some(text) = trusted_documents::find(&app.db, client.id, id).await?
    {
        return Ok(app.checks.prepare_as(id, text)?);
    }
    // Apollo's clients recognise this message and send the text.
    Err(request_error(
        "PersistedQueryNotFound",
        ErrorCode::PersistedQueryNotFound,
        None,
    )
    .into())
}
