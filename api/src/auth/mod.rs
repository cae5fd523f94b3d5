//! Who is asking: tokens, the principal they stand for, and its role grants and scopes; the
//! API clients and accounts that tokens are issued to.

pub mod accounts;
pub mod clients;
mod keys;
mod principal;
mod request;
pub mod secret;
pub mod sessions;
mod token;

pub use keys::{KeyError, KeySet};
pub use principal::{Principal, STAFF_ROLES, Scope};
pub use request::{AuthError, Caller, authenticate};
pub use token::{
    Claims, Grant, PrincipalKind, Subject, SubjectRef, TokenError, TokenService, UnitRef,
};
