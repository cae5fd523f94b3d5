//! Who is asking: tokens, the principal they stand for, and its role grants and scopes.

mod keys;
mod token;

pub use keys::{KeyError, KeySet};
pub use token::{Claims, Grant, PrincipalKind, Subject, TokenError, TokenService, UnitRef};

use entities::role_grant::Role;

/// The caller of a request, as its token (or the lack of one) says.
#[derive(Debug, Clone, Default)]
pub struct Principal {
    /// `None` for an anonymous caller.
    pub kind: Option<PrincipalKind>,
    pub subject: Option<String>,
    pub person_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub grants: Vec<Grant>,
    pub scopes: Vec<String>,
}

impl Principal {
    pub fn anonymous() -> Self {
        Self::default()
    }

    pub fn is_anonymous(&self) -> bool {
        self.kind.is_none()
    }

    /// The units (with everything below them) where this caller works as staff with `roles`.
    pub fn units_with<'a>(&'a self, roles: &'a [Role]) -> impl Iterator<Item = &'a UnitRef> + 'a {
        self.grants
            .iter()
            .filter(|grant| roles.contains(&grant.role))
            .filter_map(|grant| grant.unit.as_ref())
    }

    /// The organisations this caller administers or acts for.
    pub fn organizations(&self) -> impl Iterator<Item = i64> + '_ {
        self.organization_id
            .into_iter()
            .chain(self.grants.iter().filter_map(|grant| grant.org))
    }
}

impl From<Claims> for Principal {
    fn from(claims: Claims) -> Self {
        Self {
            kind: Some(claims.kind),
            subject: Some(claims.sub),
            person_id: claims.person,
            organization_id: claims.org,
            grants: claims.grants,
            scopes: claims.scope.split_whitespace().map(str::to_owned).collect(),
        }
    }
}

/// Roles that make a caller staff of the units they are granted.
pub const STAFF_ROLES: &[Role] = &[
    Role::DistrictStaff,
    Role::SubdistrictStaff,
    Role::CommunityStaff,
    Role::GridStaff,
];
