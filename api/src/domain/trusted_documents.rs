//! Trusted documents (persisted operations): the GraphQL documents an organisation registers
//! for one of its API clients, each known by its SHA-256. The client may send a document's id
//! instead of its text; a client that runs trusted documents only (a third-party app's, whose
//! credentials are in users' hands) may run nothing else. See the GraphQL trusted documents
//! guide (graphql.org/learn/security) and Apollo's persisted queries.

use std::collections::BTreeMap;
use std::fmt;

use chrono::Utc;
use entities::api_client::{self, ApiClientStatus};
use entities::trusted_document;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use sha2::{Digest, Sha256};

use crate::auth::{Principal, PrincipalKind};
use crate::domain::audit::{Actor, Transition};
use crate::domain::outcome::{Outcome, refusals, refuse};
use crate::domain::permissions::{ORGANISATION_ADMINS, acts_for};
use crate::domain::transaction::{Db, begin_write};
use crate::error::ApiError;

/// The most trusted documents one client may have.
pub const MAX_PER_CLIENT: u64 = 1_000;
/// The most documents one call registers or removes.
pub const MAX_PER_CALL: usize = 100;

/// A document's id: the SHA-256 of its text, written `sha256:` and 64 lowercase hex digits
/// (the form of the GraphQL-over-HTTP trusted documents proposal; Apollo's `sha256Hash` is the
/// hex digits alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DocumentId([u8; 32]);

impl DocumentId {
    const PREFIX: &'static str = "sha256:";

    /// The id of a document's text, byte for byte.
    pub fn of(text: &str) -> Self {
        Self(Sha256::digest(text.as_bytes()).into())
    }

    /// An id as `documentId` writes it: `sha256:` and 64 hex digits.
    pub fn parse(id: &str) -> Option<Self> {
        Self::from_hex(id.strip_prefix(Self::PREFIX)?)
    }

    /// An id as Apollo's `persistedQuery.sha256Hash` writes it: 64 lowercase hex digits.
    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 64 {
            return None;
        }
        // Lowercase digits only, as the id is written: one document has one id.
        let digit = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        let mut bytes = [0; 32];
        for (byte, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks(2)) {
            *byte = digit(pair[0])? << 4 | digit(pair[1])?;
        }
        Some(Self(bytes))
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::PREFIX)?;
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

refusals! {
    /// Why a change to a client's trusted documents was refused.
    pub enum TrustedDocumentRefusal for "TrustedDocument" {
        ClientNotFound => CLIENT_NOT_FOUND @ "clientId":
            "no API client (not revoked) of an organisation the caller administers has this id",
        WrongNumber => WRONG_NUMBER_OF_DOCUMENTS @ "documents":
            "give between 1 and 100 documents",
        InvalidDocument => INVALID_DOCUMENT:
            "the document does not pass the schema's validation; send it as a query to see why",
        TooMany => TOO_MANY_DOCUMENTS @ "documents":
            "a client may have at most 1,000 trusted documents; remove some first",
        DocumentNotFound => DOCUMENT_NOT_FOUND @ "documentIds":
            "the client has no trusted document with this id",
    }
}

pub type DocumentsOutcome = Outcome<Vec<trusted_document::Model>, TrustedDocumentRefusal>;

/// Registers documents for an API client of an organisation the caller administers, and
/// answers with all of them (those it had already as they were). Registering a document twice
/// changes nothing. Each document must be valid against the schema: the GraphQL layer checks
/// that (`graphql::Validator`), and refuses an invalid one with
/// [`TrustedDocumentRefusal::InvalidDocument`] before it gets here. Refused when there are none
/// or more than [`MAX_PER_CALL`], or when the client would hold more than [`MAX_PER_CLIENT`].
pub async fn register(
    db: &Db,
    principal: &Principal,
    client_id: &str,
    documents: &[String],
) -> Result<DocumentsOutcome, ApiError> {
    register_as(
        db,
        &Actor::from(principal),
        Some(principal),
        client_id,
        documents,
    )
    .await
}

/// [`register`] by an operator at the command line (`gongzhi documents push`), for any
/// organisation's client.
pub async fn register_as_operator(
    db: &Db,
    client_id: &str,
    documents: &[String],
) -> Result<DocumentsOutcome, ApiError> {
    register_as(db, &Actor::operator(), None, client_id, documents).await
}

async fn register_as(
    db: &Db,
    actor: &Actor,
    principal: Option<&Principal>,
    client_id: &str,
    documents: &[String],
) -> Result<DocumentsOutcome, ApiError> {
    use TrustedDocumentRefusal as R;
    if documents.is_empty() || documents.len() > MAX_PER_CALL {
        return Ok(Outcome::refused(None, R::WrongNumber));
    }
    let txn = begin_write(db).await?;
    // Locked, so that concurrent registrations count each other's documents against the cap.
    let Some(client) = locked_client(&txn, principal, client_id).await? else {
        return refuse(txn, None, R::ClientNotFound).await;
    };
    // By id, each once: the same text given twice is one document.
    let texts: BTreeMap<String, &str> = documents
        .iter()
        .map(|text| (DocumentId::of(text).to_string(), text.as_str()))
        .collect();
    let ids: Vec<String> = texts.keys().cloned().collect();
    let held = trusted_document::Entity::find()
        .filter(trusted_document::Column::ApiClientId.eq(client.id))
        .count(&txn)
        .await?;
    let already = trusted_document::Entity::find()
        .filter(trusted_document::Column::ApiClientId.eq(client.id))
        .filter(trusted_document::Column::DocumentId.is_in(ids.clone()))
        .count(&txn)
        .await?;
    if held + ids.len() as u64 - already > MAX_PER_CLIENT {
        return refuse(txn, None, R::TooMany).await;
    }
    let now = Utc::now();
    let rows = texts
        .iter()
        .map(|(id, text)| trusted_document::ActiveModel {
            api_client_id: Set(client.id),
            document_id: Set(id.clone()),
            body: Set((*text).to_owned()),
            registered_at: Set(now),
            ..Default::default()
        });
    trusted_document::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([
            trusted_document::Column::ApiClientId,
            trusted_document::Column::DocumentId,
        ])
        .exec(&txn)
        .await?;
    Transition::on("register_trusted_documents", "api_client", client.id)
        .record(&txn, actor)
        .await?;
    let registered = of_client(&txn, client.id, Some(&ids)).await?;
    txn.commit().await?;
    Ok(Outcome::done(registered))
}

/// Removes documents from an API client of an organisation the caller administers; the client
/// can no longer run them by id from its next request. Refused, removing none, when one of the
/// ids is not among the client's documents.
pub async fn remove(
    db: &Db,
    principal: &Principal,
    client_id: &str,
    document_ids: &[DocumentId],
) -> Result<DocumentsOutcome, ApiError> {
    use TrustedDocumentRefusal as R;
    if document_ids.is_empty() || document_ids.len() > MAX_PER_CALL {
        return Ok(Outcome::refused(None, R::WrongNumber));
    }
    let txn = begin_write(db).await?;
    let Some(client) = locked_client(&txn, Some(principal), client_id).await? else {
        return refuse(txn, None, R::ClientNotFound).await;
    };
    let mut ids: Vec<String> = document_ids.iter().map(ToString::to_string).collect();
    ids.sort();
    ids.dedup();
    let removed = of_client(&txn, client.id, Some(&ids)).await?;
    if removed.len() != ids.len() {
        return refuse(txn, None, R::DocumentNotFound).await;
    }
    trusted_document::Entity::delete_many()
        .filter(trusted_document::Column::ApiClientId.eq(client.id))
        .filter(trusted_document::Column::DocumentId.is_in(ids))
        .exec(&txn)
        .await?;
    Transition::on("remove_trusted_documents", "api_client", client.id)
        .record(&txn, &Actor::from(principal))
        .await?;
    txn.commit().await?;
    Ok(Outcome::done(removed))
}

/// The text of a client's trusted document, if it has one with this id: one indexed lookup,
/// made for every request of a client that runs trusted documents only.
pub async fn find(
    db: &impl ConnectionTrait,
    api_client_id: i64,
    id: DocumentId,
) -> Result<Option<String>, DbErr> {
    trusted_document::Entity::find()
        .select_only()
        .column(trusted_document::Column::Body)
        .filter(trusted_document::Column::ApiClientId.eq(api_client_id))
        .filter(trusted_document::Column::DocumentId.eq(id.to_string()))
        .into_tuple()
        .one(db)
        .await
}

/// A client's documents (those of `ids` only, when given), by id.
async fn of_client(
    db: &impl ConnectionTrait,
    api_client_id: i64,
    ids: Option<&[String]>,
) -> Result<Vec<trusted_document::Model>, DbErr> {
    let mut select = trusted_document::Entity::find()
        .filter(trusted_document::Column::ApiClientId.eq(api_client_id));
    if let Some(ids) = ids {
        select = select.filter(trusted_document::Column::DocumentId.is_in(ids.iter().cloned()));
    }
    select
        .order_by_asc(trusted_document::Column::DocumentId)
        .all(db)
        .await
}

/// The client with this id, locked, if it is not revoked and the caller (an operator when
/// `None`) administers its organisation.
async fn locked_client(
    db: &impl ConnectionTrait,
    principal: Option<&Principal>,
    client_id: &str,
) -> Result<Option<api_client::Model>, DbErr> {
    let client = api_client::Entity::find()
        .filter(api_client::Column::ClientId.eq(client_id))
        .filter(api_client::Column::Status.ne(ApiClientStatus::Revoked))
        .lock_exclusive()
        .one(db)
        .await?;
    Ok(client.filter(|client| {
        // Its administrators, not the client itself: a client that runs trusted documents
        // only must not widen its own list.
        principal.is_none_or(|principal| {
            principal.kind == Some(PrincipalKind::Staff)
                && acts_for(principal, client.organization_id, ORGANISATION_ADMINS)
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_the_sha256_of_the_text_in_either_spelling() {
        let id = DocumentId::of("{ __typename }");
        let written = id.to_string();
        assert_eq!(written.len(), 71);
        assert!(written.starts_with("sha256:"));
        assert_eq!(DocumentId::parse(&written), Some(id));
        assert_eq!(DocumentId::from_hex(&written[7..]), Some(id));
        assert_eq!(DocumentId::parse(&written[7..]), None);
        assert_eq!(DocumentId::from_hex("zz"), None);
        assert_eq!(DocumentId::from_hex(&"g".repeat(64)), None);
        assert_eq!(DocumentId::from_hex(&"é".repeat(32)), None);
        assert_eq!(DocumentId::from_hex(&written[7..].to_uppercase()), None);
        let signed = format!("+{}", &written[8..]);
        assert_eq!(DocumentId::from_hex(&signed), None);
    }
}
