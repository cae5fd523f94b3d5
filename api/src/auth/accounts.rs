//! Accounts of staff and people: their passwords, signing in, and what their tokens say.

use std::collections::HashMap;

use entities::account::{self, AccountStatus};
use entities::organization::{self, OrganizationStatus};
use entities::{admin_unit, role_grant};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Condition;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, JoinType, QueryFilter, QuerySelect,
};

use super::secret;
use super::token::{Grant, PrincipalKind, Subject, SubjectRef, UnitRef};

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("no account has the username `{0}`")]
    UnknownUsername(String),
    #[error("a password needs at least {MIN_PASSWORD_CHARS} characters")]
    PasswordTooShort,
    /// The same for an unknown username as for a wrong password, so that usernames cannot be
    /// probed.
    #[error("wrong username or password")]
    WrongCredentials,
    #[error("the account is disabled, or its organisation is not active")]
    NotActive,
    #[error(transparent)]
    Secret(#[from] secret::SecretError),
    #[error("database: {0}")]
    Database(#[from] DbErr),
}

/// Sets an account's password; only its argon2 hash is stored.
pub async fn set_password(
    db: &impl ConnectionTrait,
    username: &str,
    password: &str,
) -> Result<(), AccountError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AccountError::PasswordTooShort);
    }
    let changes = account::ActiveModel {
        password_hash: Set(Some(secret::hash(password).await?)),
        ..Default::default()
    };
    let updated = account::Entity::update_many()
        .set(changes)
        .filter(account::Column::Username.eq(username))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(AccountError::UnknownUsername(username.to_owned()));
    }
    Ok(())
}

/// The account with this username and password, if it may sign in.
pub async fn sign_in(
    db: &impl ConnectionTrait,
    username: &str,
    password: &str,
) -> Result<account::Model, AccountError> {
    let account = account::Entity::find()
        .filter(account::Column::Username.eq(username))
        .one(db)
        .await?;
    // Verified even for an unknown username (or an account without a password), against a
    // dummy hash, so that the time taken does not tell which usernames exist.
    let hash = account
        .as_ref()
        .and_then(|account| account.password_hash.as_deref());
    let verified = secret::verify(password, hash).await;
    let account = account
        .filter(|_| verified)
        .ok_or(AccountError::WrongCredentials)?;
    active(db, account.id).await?.ok_or(AccountError::NotActive)
}

/// The account with this id if it is active and so is its organisation (if it has one), in one
/// indexed query (the request path runs it for every account token).
pub async fn active(
    db: &impl ConnectionTrait,
    account_id: i64,
) -> Result<Option<account::Model>, DbErr> {
    account::Entity::find()
        .join(
            JoinType::LeftJoin,
            account::Entity::belongs_to(organization::Entity)
                .from(account::Column::OrganizationId)
                .to(organization::Column::Id)
                .into(),
        )
        .filter(account::Column::Id.eq(account_id))
        .filter(account::Column::Status.eq(AccountStatus::Active))
        .filter(
            Condition::any()
                .add(account::Column::OrganizationId.is_null())
                .add(organization::Column::Status.eq(OrganizationStatus::Active)),
        )
        .one(db)
        .await
}

/// Who a token for `account` is for: staff with its role grants, or a person acting for
/// themself when the account has a person and no grants.
pub async fn subject(
    db: &impl ConnectionTrait,
    account: &account::Model,
) -> Result<Subject, DbErr> {
    let grants = role_grant::Entity::find()
        .filter(role_grant::Column::AccountId.eq(account.id))
        .all(db)
        .await?;
    let unit_ids: Vec<i64> = grants.iter().filter_map(|grant| grant.unit_id).collect();
    let paths: HashMap<i64, String> = if unit_ids.is_empty() {
        HashMap::new()
    } else {
        admin_unit::Entity::find()
            .filter(admin_unit::Column::Id.is_in(unit_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|unit| (unit.id, unit.path))
            .collect()
    };
    let kind = if grants.is_empty() && account.person_id.is_some() {
        PrincipalKind::Person
    } else {
        PrincipalKind::Staff
    };
    let grants = grants
        .into_iter()
        .map(|grant| Grant {
            role: grant.role,
            unit: grant.unit_id.and_then(|id| {
                paths.get(&id).map(|path| UnitRef {
                    id,
                    path: path.clone(),
                })
            }),
            org: grant.organization_id,
        })
        .collect();
    Ok(Subject {
        sub: SubjectRef::Account(account.id).to_string(),
        kind,
        org: account.organization_id,
        person: account.person_id,
        grants,
        scopes: Vec::new(),
    })
}
