//! Access tokens: EdDSA-signed JWTs carrying who the caller is, for which organisation, with
//! which role grants and scopes.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entities::role_grant::Role;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};

use super::keys::KeySet;
use crate::config::TokenSettings;

/// What kind of caller a token stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A staff member's account (district, sub-district, community, grid, department, partner
    /// organisation administrators).
    Staff,
    /// A person acting for themself: a Party member, a volunteer or a resident.
    Person,
    /// A partner system's API client (OAuth2 client credentials).
    Client,
}

/// An admin unit as a grant names it: its id and materialised path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRef {
    pub id: i64,
    pub path: String,
}

/// A role held at a unit (and everything below it) or at an organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<i64>,
}

/// The claims of a Gongzhi access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub jti: String,
    pub kind: PrincipalKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<Grant>,
    /// Space-separated scopes, as OAuth2 writes them.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
}

/// What a token's `sub` names. Tokens for API clients and for signed-in accounts carry a prefix
/// and the client's or account's id; any other subject (development tokens that `gongzhi token`
/// signs) stands for itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectRef<'a> {
    /// `client:<client id>`: a partner system's API client.
    Client(&'a str),
    /// `account:<id>`: a signed-in account.
    Account(i64),
    /// Any other subject.
    Other(&'a str),
}

impl<'a> SubjectRef<'a> {
    const CLIENT: &'static str = "client:";
    const ACCOUNT: &'static str = "account:";

    /// Reads a `sub`; `None` when it claims to be an account but names no account id.
    pub fn parse(sub: &'a str) -> Option<Self> {
        if let Some(client_id) = sub.strip_prefix(Self::CLIENT) {
            Some(Self::Client(client_id))
        } else if let Some(account_id) = sub.strip_prefix(Self::ACCOUNT) {
            account_id.parse().ok().map(Self::Account)
        } else {
            Some(Self::Other(sub))
        }
    }
}

impl std::fmt::Display for SubjectRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Client(client_id) => write!(f, "{}{client_id}", Self::CLIENT),
            Self::Account(id) => write!(f, "{}{id}", Self::ACCOUNT),
            Self::Other(sub) => f.write_str(sub),
        }
    }
}

/// Who a new token is for; the service adds the registered claims.
#[derive(Debug, Clone)]
pub struct Subject {
    pub sub: String,
    pub kind: PrincipalKind,
    pub org: Option<i64>,
    pub person: Option<i64>,
    pub grants: Vec<Grant>,
    pub scopes: Vec<String>,
}

/// Why a presented token was refused. Each maps to a stable code and to an HTTP 401 with a
/// `WWW-Authenticate` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token's algorithm is not accepted: tokens are signed with EdDSA")]
    Algorithm,
    #[error("the token names no signing key this server knows")]
    UnknownKey,
    #[error("the token's signature does not verify")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token is meant for another audience")]
    Audience,
    #[error("the token comes from another issuer")]
    Issuer,
    #[error("the token's client or account has been revoked or suspended")]
    Revoked,
}

impl TokenError {
    pub fn code(self) -> &'static str {
        match self {
            Self::Malformed => "TOKEN_MALFORMED",
            Self::Algorithm => "TOKEN_ALGORITHM",
            Self::UnknownKey => "TOKEN_UNKNOWN_KEY",
            Self::Signature => "TOKEN_SIGNATURE",
            Self::Expired => "TOKEN_EXPIRED",
            Self::NotYetValid => "TOKEN_NOT_YET_VALID",
            Self::Audience => "TOKEN_AUDIENCE",
            Self::Issuer => "TOKEN_ISSUER",
            Self::Revoked => "TOKEN_REVOKED",
        }
    }
}

/// Signs and verifies access tokens.
#[derive(Debug)]
pub struct TokenService {
    keys: KeySet,
    issuer: String,
    audience: String,
    ttl: Duration,
    validation: Validation,
}

impl TokenService {
    pub fn new(keys: KeySet, settings: &TokenSettings) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        Self {
            keys,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            ttl: settings.access_token_ttl(),
            validation,
        }
    }

    pub fn keys(&self) -> &KeySet {
        &self.keys
    }

    /// The `iss` of the tokens this service signs.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Signs a token for `subject`, valid from now for `ttl` (the configured lifetime when
    /// `None`). Returns the token and its claims.
    pub fn issue(&self, subject: Subject, ttl: Option<Duration>) -> (String, Claims) {
        let now = chrono::Utc::now().timestamp();
        let lifetime = i64::try_from(ttl.unwrap_or(self.ttl).as_secs()).unwrap_or(i64::MAX / 2);
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: subject.sub,
            exp: now.saturating_add(lifetime),
            iat: now,
            nbf: now,
            jti: uuid::Uuid::now_v7().to_string(),
            kind: subject.kind,
            org: subject.org,
            person: subject.person,
            grants: subject.grants,
            scope: subject.scopes.join(" "),
        };
        let (kid, key) = self.keys.signing();
        let header = Header {
            kid: Some(kid.to_owned()),
            ..Header::new(Algorithm::EdDSA)
        };
        let token = jsonwebtoken::encode(&header, &claims, key)
            .expect("signing with a loaded Ed25519 key cannot fail");
        (token, claims)
    }

    /// Verifies a presented token: algorithm, key, signature, lifetime, issuer and audience.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| header_error(token))?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::Algorithm);
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let key = self.keys.verifying(&kid).ok_or(TokenError::UnknownKey)?;
        jsonwebtoken::decode::<Claims>(token, key, &self.validation)
            .map(|data| data.claims)
            .map_err(|err| match err.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::ImmatureSignature => TokenError::NotYetValid,
                ErrorKind::InvalidAudience => TokenError::Audience,
                ErrorKind::InvalidIssuer => TokenError::Issuer,
                ErrorKind::InvalidSignature | ErrorKind::InvalidAlgorithm => TokenError::Signature,
                _ => TokenError::Malformed,
            })
    }
}

/// A header the JWT library refuses is either garbage or names an algorithm it does not know
/// (such as `none`); the caller deserves to know which.
fn header_error(token: &str) -> TokenError {
    #[derive(Deserialize)]
    struct RawHeader {
        alg: String,
    }
    let names_an_algorithm = token
        .split('.')
        .next()
        .and_then(|segment| URL_SAFE_NO_PAD.decode(segment).ok())
        .and_then(|json| serde_json::from_slice::<RawHeader>(&json).ok())
        .is_some_and(|header| header.alg != "EdDSA");
    if names_an_algorithm {
        TokenError::Algorithm
    } else {
        TokenError::Malformed
    }
}

#[cfg(test)]
mod tests {
    use super::SubjectRef;

    #[test]
    fn a_subject_reads_back_as_it_was_written() {
        for subject in [
            SubjectRef::Client("gz_abc"),
            SubjectRef::Account(42),
            SubjectRef::Other("dev:person-7"),
        ] {
            assert_eq!(SubjectRef::parse(&subject.to_string()), Some(subject));
        }
    }

    #[test]
    fn an_account_subject_needs_a_numeric_id() {
        assert_eq!(SubjectRef::parse("account:x"), None);
    }
}
