//! Who may change what: the write-side twin of [`scope`](super::scope).
//!
//! The rule, for every area:
//! - **Reads** are scoped by [`Scoped`](super::scope::Scoped): a row outside the caller's scope
//!   does not exist for them. A GraphQL read field that shows more than the public catalogue
//!   also needs a token scope (`Needs(Scope::…)` in the GraphQL layer).
//! - **Writes** first check the token's scope ([`Principal::require`]), then find their rows
//!   through the read scoping ([`rows::find_visible`](super::rows::find_visible), so that what
//!   the caller cannot see is NOT_FOUND), then ask the predicates here whether the caller's role
//!   lets them make this change. A "no" is a refusal with a code in the payload, not an error.

use entities::role_grant::Role;
use entities::{admin_unit, party_member};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::auth::{Principal, PrincipalKind};

/// The administrators of an organisation (a partner's or a Party unit's), who act for it.
pub const ORGANISATION_ADMINS: &[Role] = &[Role::OrgAdmin, Role::PartyUnitAdmin];
/// The administrators of an in-office Party unit, who register its members (双报到).
pub const PARTY_UNIT_ADMINS: &[Role] = &[Role::PartyUnitAdmin];
/// Staff of a community and of the units above it: they review, approve and settle.
pub const COMMUNITY_OR_ABOVE: &[Role] = &[
    Role::CommunityStaff,
    Role::SubdistrictStaff,
    Role::DistrictStaff,
];
/// Staff closest to residents, who post and confirm for them: the grid's and the community's.
pub const CARETAKERS: &[Role] = &[Role::GridStaff, Role::CommunityStaff];

/// The caller acts for the organisation: as its API client, or holding one of `roles` there.
pub fn acts_for(principal: &Principal, organization_id: i64, roles: &[Role]) -> bool {
    match principal.kind {
        Some(PrincipalKind::Client) => principal.organization_id == Some(organization_id),
        Some(PrincipalKind::Staff) => principal
            .grants
            .iter()
            .any(|grant| roles.contains(&grant.role) && grant.org == Some(organization_id)),
        _ => false,
    }
}

/// The organisation the caller acts for when it creates something of its own (an activity, a
/// team, a claim): an API client's own, or that of the caller's first administrator grant.
pub fn organizing_organization(principal: &Principal) -> Option<i64> {
    match principal.kind {
        Some(PrincipalKind::Client) => principal.organization_id,
        Some(PrincipalKind::Staff) => principal
            .grants
            .iter()
            .find(|grant| ORGANISATION_ADMINS.contains(&grant.role))
            .and_then(|grant| grant.org),
        _ => None,
    }
}

/// The person the caller is, when a person acts for themself (not staff acting for others).
pub fn person_of(principal: &Principal) -> Option<i64> {
    match (principal.kind, principal.person_id) {
        (Some(PrincipalKind::Person), Some(person)) => Some(person),
        _ => None,
    }
}

/// The caller is community staff of this very community (not of a unit above it): the
/// community's own decisions (registrations, posts, reports) are its staff's.
pub fn community_staff_of(principal: &Principal, community_id: i64) -> bool {
    principal
        .units_with(&[Role::CommunityStaff])
        .any(|unit| unit.id == community_id)
}

/// Whether the caller holds one of `roles` at the unit `unit_id` or at a unit above it.
pub async fn staff_covers(
    db: &impl ConnectionTrait,
    principal: &Principal,
    roles: &[Role],
    unit_id: i64,
) -> Result<bool, DbErr> {
    if principal.units_with(roles).next().is_none() {
        return Ok(false);
    }
    let Some(unit) = admin_unit::Entity::find_by_id(unit_id).one(db).await? else {
        return Ok(false);
    };
    Ok(grants_cover(principal, roles, &unit))
}

/// Whether the caller holds one of `roles` at `unit` or at a unit above it: what decides a
/// field shown only to the staff of an object's own area.
pub fn grants_cover(principal: &Principal, roles: &[Role], unit: &admin_unit::Model) -> bool {
    principal
        .units_with(roles)
        .any(|granted| unit.path.starts_with(&granted.path))
}

/// The caller's own Party membership, if they are a Party member.
pub async fn own_membership(
    db: &impl ConnectionTrait,
    principal: &Principal,
) -> Result<Option<party_member::Model>, DbErr> {
    let Some(person_id) = principal.person_id else {
        return Ok(None);
    };
    party_member::Entity::find()
        .filter(party_member::Column::PersonId.eq(person_id))
        .one(db)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Grant;

    fn staff(role: Role, org: i64) -> Principal {
        Principal {
            kind: Some(PrincipalKind::Staff),
            grants: vec![Grant {
                role,
                unit: None,
                org: Some(org),
            }],
            ..Principal::default()
        }
    }

    #[test]
    fn an_organisation_is_acted_for_by_its_client_and_its_administrators() {
        let client = Principal {
            kind: Some(PrincipalKind::Client),
            organization_id: Some(7),
            ..Principal::default()
        };
        assert!(acts_for(&client, 7, ORGANISATION_ADMINS));
        assert!(!acts_for(&client, 8, ORGANISATION_ADMINS));
        assert!(acts_for(&staff(Role::OrgAdmin, 7), 7, ORGANISATION_ADMINS));
        assert!(!acts_for(&staff(Role::OrgAdmin, 7), 7, PARTY_UNIT_ADMINS));
        assert!(!acts_for(&Principal::anonymous(), 7, ORGANISATION_ADMINS));
    }

    #[test]
    fn only_a_person_acting_for_themself_is_a_person() {
        let person = Principal {
            kind: Some(PrincipalKind::Person),
            person_id: Some(3),
            ..Principal::default()
        };
        assert_eq!(person_of(&person), Some(3));
        let staff_with_person = Principal {
            person_id: Some(3),
            ..staff(Role::OrgAdmin, 1)
        };
        assert_eq!(person_of(&staff_with_person), None);
    }
}
