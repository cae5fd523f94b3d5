//! The caller of a request: the principal a token stands for, with its role grants, and the
//! scopes an API client's token may carry.

use entities::role_grant::Role;

use super::token::{Claims, Grant, PrincipalKind, UnitRef};
use crate::error::ApiError;

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

/// What an API client's token may be used for. Staff and people act on their roles and their
/// own records; a partner's client additionally needs the scope of the area it touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Read wishes beyond the public ones: the client's claims and their wishes.
    WishesRead,
    /// Claim, release and deliver wishes.
    WishesWrite,
    /// Read sign-ups and service records of the client's organisation.
    VolunteeringRead,
    /// Manage the organisation's teams, activities, sign-ups and hours.
    VolunteeringWrite,
    /// Read the dual-reporting records of the organisation and its members.
    RegistrationsRead,
    /// Register the organisation and its members with communities.
    RegistrationsWrite,
    /// Read the people the organisation is responsible for (masked as ever).
    PeopleRead,
}

impl Scope {
    pub const ALL: [Scope; 7] = [
        Scope::WishesRead,
        Scope::WishesWrite,
        Scope::VolunteeringRead,
        Scope::VolunteeringWrite,
        Scope::RegistrationsRead,
        Scope::RegistrationsWrite,
        Scope::PeopleRead,
    ];

    /// The scope as OAuth2 tokens and clients name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::WishesRead => "wishes:read",
            Scope::WishesWrite => "wishes:write",
            Scope::VolunteeringRead => "volunteering:read",
            Scope::VolunteeringWrite => "volunteering:write",
            Scope::RegistrationsRead => "registrations:read",
            Scope::RegistrationsWrite => "registrations:write",
            Scope::PeopleRead => "people:read",
        }
    }
}

impl Principal {
    /// Checks that the caller is signed in and, for an API client, that its token carries
    /// `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        match self.kind {
            None => Err(ApiError::Unauthenticated),
            Some(PrincipalKind::Client)
                if !self.scopes.iter().any(|granted| granted == scope.as_str()) =>
            {
                Err(ApiError::Forbidden(format!(
                    "this token lacks the scope `{}`",
                    scope.as_str()
                )))
            }
            Some(_) => Ok(()),
        }
    }
}
