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

/// The shortest password accepted (NIST SP 800-63B §3.1.1.2: at least 8).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The longest password accepted: NIST asks for at least 64; more only costs hashing time.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Passwords too common to accept, lower-cased: the 8-character-or-longer entries of the
/// 20,000 most common passwords Django ships (`django/contrib/auth/common-passwords.txt.gz`,
/// BSD licence), from breach corpora, as NIST SP 800-63B asks passwords to be checked against.
const COMMON_PASSWORDS: &str = include_str!("common-passwords.txt");

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("no account has the username `{0}`")]
    UnknownUsername(String),
    #[error("a password needs at least {MIN_PASSWORD_CHARS} characters")]
    PasswordTooShort,
    #[error("a password may have at most {MAX_PASSWORD_CHARS} characters")]
    PasswordTooLong,
    /// NIST SP 800-63B: no composition rules, but no password that is commonly used, found in
    /// breaches, or made of the account's own name or the service's.
    #[error(
        "this password is too common or too easy to guess (it is on a list of breached passwords, or made of the username); choose a longer, unusual phrase"
    )]
    PasswordTooCommon,
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
    acceptable(username, password)?;
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

/// Whether `password` may be `username`'s, as NIST SP 800-63B §5.1.1.2 says: long enough, not
/// too long, and neither a common password nor the username or the service's name with fewer
/// than 5 characters besides, whatever the case. No rules on what characters it must have.
fn acceptable(username: &str, password: &str) -> Result<(), AccountError> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_CHARS {
        return Err(AccountError::PasswordTooShort);
    }
    if length > MAX_PASSWORD_CHARS {
        return Err(AccountError::PasswordTooLong);
    }
    let lower = password.to_lowercase();
    let guessable = COMMON_PASSWORDS.lines().any(|common| common == lower)
        || [username.to_lowercase(), "gongzhi".to_owned()]
            .iter()
            .any(|word| !word.is_empty() && lower.replace(word.as_str(), "").chars().count() < 5);
    if guessable {
        return Err(AccountError::PasswordTooCommon);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_follow_nist_sp_800_63b() {
        assert!(matches!(
            acceptable("qiyi.staff", "short"),
            Err(AccountError::PasswordTooShort)
        ));
        assert!(matches!(
            acceptable("qiyi.staff", &"x".repeat(MAX_PASSWORD_CHARS + 1)),
            Err(AccountError::PasswordTooLong)
        ));
        let refused = [
            "password",
            "Password1",
            "12345678",
            "qwertyuiop",
            "iloveyou",
            "qiyi.staff",
            "QIYI.STAFF123",
            "gongzhi2026",
            "Gongzhi!",
        ];
        for guessable in refused {
            assert!(
                matches!(
                    acceptable("qiyi.staff", guessable),
                    Err(AccountError::PasswordTooCommon)
                ),
                "{guessable}"
            );
        }
        // No composition rules: a phrase of lower-case letters is fine, and so is Chinese.
        for good in [
            "correct horse battery staple",
            "七一社区的网格员",
            "gongzhi-demo",
        ] {
            assert!(acceptable("qiyi.staff", good).is_ok(), "{good}");
        }
    }
}
