//! Who is asking: the bearer token of a request, verified, and the standing of the client or
//! account it names — checked on every request, so that revoking or suspending one takes effect
//! at once, on every server instance.

use axum::http::HeaderValue;
use entities::api_client;
use entities::organization::{self, OrganizationStatus};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter};

use super::principal::Principal;
use super::token::{Claims, SubjectRef, TokenError, TokenService};
use super::{accounts, clients};

/// Why a request's caller could not be established.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The token was refused: the caller gets a 401 and the reason.
    #[error(transparent)]
    Refused(#[from] TokenError),
    /// The standing of the token's client or account could not be checked.
    #[error("database: {0}")]
    Database(#[from] DbErr),
}

/// The caller of a request, and the API client it is, if it is one (whose row holds its traffic
/// budget).
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub principal: Principal,
    pub client: Option<api_client::Model>,
}

/// The caller of a request with this `Authorization` header (`Bearer <token>`); anonymous
/// without one. A token for an API client or an account stands only while that client (or
/// account) and its organisation are active; other tokens (development tokens that `gongzhi
/// token` signs) stand on their signature, and every token only while the organisations it
/// names (its `org`, its grants') are active.
pub async fn authenticate(
    tokens: &TokenService,
    db: &DatabaseConnection,
    authorization: Option<&HeaderValue>,
) -> Result<Caller, AuthError> {
    let Some(value) = authorization else {
        return Ok(Caller::default());
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
        })
        .ok_or(TokenError::Malformed)?;
    let claims = tokens.verify(token.trim())?;
    let mut client = None;
    let in_good_standing = match SubjectRef::parse(&claims.sub).ok_or(TokenError::Malformed)? {
        SubjectRef::Client(client_id) => {
            client = clients::active(db, client_id).await?;
            client.is_some()
        }
        SubjectRef::Account(account_id) => match accounts::active(db, account_id).await? {
            // The account's own organisation was checked with it.
            Some(account) => organizations_active(db, &claims, account.organization_id).await?,
            None => false,
        },
        SubjectRef::Other(_) => organizations_active(db, &claims, None).await?,
    };
    if !in_good_standing {
        return Err(TokenError::Revoked.into());
    }
    Ok(Caller {
        principal: Principal::from(claims),
        client,
    })
}

/// Whether every organisation a token acts for (its `org`, and the organisations of its role
/// grants) is active, so that suspending an organisation stops every token that acts for it:
/// development tokens, and accounts holding grants of another organisation. `checked` is known
/// to be active already. No query when the token names no other, as on the request path of
/// nearly every account.
async fn organizations_active(
    db: &DatabaseConnection,
    claims: &Claims,
    checked: Option<i64>,
) -> Result<bool, DbErr> {
    let mut named: Vec<i64> = claims
        .org
        .into_iter()
        .chain(claims.grants.iter().filter_map(|grant| grant.org))
        .filter(|organization| Some(*organization) != checked)
        .collect();
    named.sort_unstable();
    named.dedup();
    if named.is_empty() {
        return Ok(true);
    }
    let active = organization::Entity::find()
        .filter(organization::Column::Id.is_in(named.iter().copied()))
        .filter(organization::Column::Status.eq(OrganizationStatus::Active))
        .count(db)
        .await?;
    Ok(active == named.len() as u64)
}
