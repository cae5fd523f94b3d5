//! Partner systems' API clients (OAuth2 client credentials): creating them, suspending,
//! reactivating and revoking them, and exchanging their credentials for a token's subject.

use chrono::Utc;
use entities::api_client::{self, ApiClientStatus};
use entities::organization::{self, OrganizationStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, JoinType, QueryFilter, QuerySelect,
};

use super::principal::Scope;
use super::secret;
use super::token::{PrincipalKind, Subject, SubjectRef};

/// A client's credentials. The secret is shown once, when the client is created; only its hash
/// is kept.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub client_id: String,
    pub secret: String,
}

/// What a new client is for.
#[derive(Debug, Clone)]
pub struct NewClient {
    pub organization_id: i64,
    pub name: String,
    /// Space-separated scopes, as OAuth2 writes them.
    pub scopes: String,
    /// Whether it may run only its trusted documents: what a third-party app's client should
    /// be, since the app and its credentials are in users' hands.
    pub trusted_documents_only: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("no organisation has the id {0}")]
    UnknownOrganization(i64),
    #[error("organisation {0} is not active")]
    OrganizationNotActive(i64),
    #[error("a client needs a name")]
    NoName,
    #[error("unknown scope `{0}`; the scopes are: {known}", known = known_scopes())]
    UnknownScope(String),
    #[error("no API client has the id `{0}`")]
    UnknownClient(String),
    #[error("client `{0}` is revoked for good; create a new one")]
    Revoked(String),
    /// Unknown client, wrong secret, or a client (or organisation) that is not active: the
    /// caller is not told which.
    #[error("client authentication failed")]
    InvalidCredentials,
    #[error("the scope `{0}` is not granted to this client")]
    ScopeNotGranted(String),
    #[error(transparent)]
    Secret(#[from] secret::SecretError),
    #[error("database: {0}")]
    Database(#[from] DbErr),
}

fn known_scopes() -> String {
    Scope::ALL.map(Scope::as_str).join(" ")
}

/// Creates a client for an active organisation, with a random id and secret.
pub async fn create(db: &impl ConnectionTrait, new: NewClient) -> Result<Credentials, ClientError> {
    let name = new.name.trim();
    if name.is_empty() {
        return Err(ClientError::NoName);
    }
    let scopes = distinct_scopes(&new.scopes);
    if let Some(unknown) = scopes
        .iter()
        .find(|&&scope| !Scope::ALL.iter().any(|known| known.as_str() == scope))
    {
        return Err(ClientError::UnknownScope((*unknown).to_owned()));
    }
    let organization = organization::Entity::find_by_id(new.organization_id)
        .one(db)
        .await?
        .ok_or(ClientError::UnknownOrganization(new.organization_id))?;
    if organization.status != OrganizationStatus::Active {
        return Err(ClientError::OrganizationNotActive(organization.id));
    }
    let credentials = Credentials {
        client_id: format!("gz_{}", secret::random_token::<16>()),
        secret: secret::random_token::<32>(),
    };
    let client = api_client::ActiveModel {
        organization_id: Set(organization.id),
        client_id: Set(credentials.client_id.clone()),
        secret_hash: Set(secret::hash(&credentials.secret).await?),
        name: Set(name.to_owned()),
        scopes: Set(scopes.join(" ")),
        status: Set(ApiClientStatus::Active),
        created_at: Set(Utc::now()),
        trusted_documents_only: Set(new.trusted_documents_only),
        ..Default::default()
    };
    api_client::Entity::insert(client).exec(db).await?;
    Ok(credentials)
}

/// Suspends, reactivates or revokes a client; its tokens stop (or start again) working with
/// the next request. Revoking is final, and revoking twice changes nothing.
pub async fn set_status(
    db: &impl ConnectionTrait,
    client_id: &str,
    status: ApiClientStatus,
) -> Result<(), ClientError> {
    let changes = api_client::ActiveModel {
        status: Set(status),
        revoked_at: if status == ApiClientStatus::Revoked {
            Set(Some(Utc::now()))
        } else {
            Default::default()
        },
        ..Default::default()
    };
    let updated = api_client::Entity::update_many()
        .set(changes)
        .filter(api_client::Column::ClientId.eq(client_id))
        .filter(api_client::Column::Status.ne(ApiClientStatus::Revoked))
        .exec(db)
        .await?;
    if updated.rows_affected > 0 {
        return Ok(());
    }
    let exists = api_client::Entity::find()
        .filter(api_client::Column::ClientId.eq(client_id))
        .one(db)
        .await?
        .is_some();
    match (exists, status) {
        (false, _) => Err(ClientError::UnknownClient(client_id.to_owned())),
        (true, ApiClientStatus::Revoked) => Ok(()),
        (true, _) => Err(ClientError::Revoked(client_id.to_owned())),
    }
}

/// A client's own traffic budget (see `traffic`): the query-cost points its bucket holds and
/// restores a second; `None` for the server's default.
#[derive(Debug, Clone, Copy, Default)]
pub struct BudgetLimits {
    pub capacity: Option<i32>,
    pub restore_rate: Option<i32>,
}

/// Sets a client's traffic budget; it holds from the client's next request, on every instance.
pub async fn set_limits(
    db: &impl ConnectionTrait,
    client_id: &str,
    limits: BudgetLimits,
) -> Result<(), ClientError> {
    let changes = api_client::ActiveModel {
        budget_capacity: Set(limits.capacity),
        budget_restore_rate: Set(limits.restore_rate),
        ..Default::default()
    };
    update(db, client_id, changes).await
}

/// Sets `changes` on the client with this id.
async fn update(
    db: &impl ConnectionTrait,
    client_id: &str,
    changes: api_client::ActiveModel,
) -> Result<(), ClientError> {
    let updated = api_client::Entity::update_many()
        .set(changes)
        .filter(api_client::Column::ClientId.eq(client_id))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ClientError::UnknownClient(client_id.to_owned()));
    }
    Ok(())
}

/// Lets a client run only its trusted documents, or any document again; it holds from the
/// client's next request, on every instance.
pub async fn set_trusted_documents_only(
    db: &impl ConnectionTrait,
    client_id: &str,
    only: bool,
) -> Result<(), ClientError> {
    let changes = api_client::ActiveModel {
        trusted_documents_only: Set(only),
        ..Default::default()
    };
    update(db, client_id, changes).await
}

/// The client with this id if it and its organisation are active, in one indexed query (the
/// request path runs it for every client token).
pub async fn active(
    db: &impl ConnectionTrait,
    client_id: &str,
) -> Result<Option<api_client::Model>, DbErr> {
    api_client::Entity::find()
        .join(
            JoinType::InnerJoin,
            api_client::Entity::belongs_to(organization::Entity)
                .from(api_client::Column::OrganizationId)
                .to(organization::Column::Id)
                .into(),
        )
        .filter(api_client::Column::ClientId.eq(client_id))
        .filter(api_client::Column::Status.eq(ApiClientStatus::Active))
        .filter(organization::Column::Status.eq(OrganizationStatus::Active))
        .one(db)
        .await
}

/// Checks a client's credentials and the scopes it asks for (space-separated; all of its own
/// when `None`), and says who its token is for.
pub async fn exchange(
    db: &impl ConnectionTrait,
    credentials: &Credentials,
    requested_scope: Option<&str>,
) -> Result<Subject, ClientError> {
    let client = active(db, &credentials.client_id).await?;
    // Verified even for an unknown client, against a dummy hash, so that the time taken does
    // not tell which client ids exist.
    let verified = secret::verify(
        &credentials.secret,
        client.as_ref().map(|client| client.secret_hash.as_str()),
    )
    .await;
    let client = client
        .filter(|_| verified)
        .ok_or(ClientError::InvalidCredentials)?;
    let granted = distinct_scopes(&client.scopes);
    let scopes = match requested_scope {
        None => granted,
        Some(requested) => {
            let requested = distinct_scopes(requested);
            if let Some(missing) = requested.iter().find(|scope| !granted.contains(scope)) {
                return Err(ClientError::ScopeNotGranted((*missing).to_owned()));
            }
            requested
        }
    };
    Ok(Subject {
        sub: SubjectRef::Client(&client.client_id).to_string(),
        kind: PrincipalKind::Client,
        org: Some(client.organization_id),
        person: None,
        grants: Vec::new(),
        scopes: scopes.into_iter().map(str::to_owned).collect(),
    })
}

/// The scopes of a space-separated list, each once, in their order.
fn distinct_scopes(list: &str) -> Vec<&str> {
    let mut scopes = Vec::new();
    for scope in list.split_whitespace() {
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    scopes
}
