//! The lists that are not connections, and the most items each holds. A list whose length
//! grows with the data (a wish's claims, an activity's sign-ups) holds at most its declared
//! maximum — the server never loads more for one parent — and takes `first` to ask for fewer,
//! as GitHub's and Shopify's lists do; a list bounded by its kind (one count per status) holds
//! at most that many. The cost model prices each at what it may hold (see `checks::cost`), so a
//! query's price bounds its work. A mutation payload's lists are bounded by the mutation's own
//! input instead.

use crate::error::ApiError;

/// A list field that is not a connection, and the most items it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct List {
    /// The object type that has the field.
    pub ty: &'static str,
    pub field: &'static str,
    /// The most items it holds.
    pub max: u64,
    /// Whether it takes `first`, to hold fewer.
    pub paged: bool,
}

impl List {
    const fn paged(ty: &'static str, field: &'static str, max: u64) -> Self {
        Self {
            ty,
            field,
            max,
            paged: true,
        }
    }

    const fn bounded(ty: &'static str, field: &'static str, max: u64) -> Self {
        Self {
            ty,
            field,
            max,
            paged: false,
        }
    }

    /// How many items to answer with: `first` (1 to the maximum), or the maximum. Out of range
    /// is `BAD_USER_INPUT`.
    pub fn items(self, first: Option<i32>) -> Result<usize, ApiError> {
        let Some(first) = first else {
            return Ok(self.limit());
        };
        match u64::try_from(first) {
            Ok(first @ 1..) if first <= self.max => Ok(first as usize),
            _ => Err(ApiError::bad_input(
                "first",
                format!(
                    "`first` of `{}.{}` must be between 1 and {}",
                    self.ty, self.field, self.max
                ),
            )),
        }
    }

    /// The most items, as a count of rows.
    pub fn limit(self) -> usize {
        self.max as usize
    }
}

/// A unit's sub-units: Weidu has 10 sub-districts, a sub-district a dozen communities at most,
/// a community 7 or 8 grids (the report's figures); units are not created through the API.
pub const UNIT_CHILDREN: List = List::paged("AdminUnit", "children", 30);
/// A community's service centres: one of each of the seven kinds (a unique index holds it).
pub const SERVICE_CENTRES: List = List::bounded("AdminUnit", "serviceCentres", 7);
/// The posts currently held at a unit: a grid has three, a community a handful.
pub const UNIT_STAFF: List = List::paged("AdminUnit", "staff", 10);
pub const WISH_CLAIMS: List = List::paged("MicroWish", "claims", 20);
pub const WISH_HISTORY: List = List::paged("MicroWish", "history", 50);
pub const MEMBER_POST_CLAIMS: List = List::paged("PartyMember", "postClaims", 20);
pub const MEMBER_REGISTRATIONS: List = List::paged("PartyMember", "registrations", 20);
pub const MEMBER_SELF_REPORTS: List = List::paged("PartyMember", "selfReports", 20);
pub const POINTS_ENTRIES: List = List::paged("PointsAccount", "entries", 100);
pub const CERTIFIED_SERVICES: List = List::paged("ServiceCertificate", "services", 100);
/// One per volunteer area.
pub const HOURS_BY_AREA: List = List::bounded("ServiceHours", "byArea", 6);
pub const HOURS_BY_MONTH: List = List::paged("ServiceHours", "byMonth", 100);
pub const HOURS_BY_ORGANIZATION: List = List::paged("ServiceHours", "byOrganization", 100);
pub const POST_CLAIMS: List = List::paged("ServicePost", "claims", 50);
pub const ACTIVITY_SIGNUPS: List = List::paged("VolunteerActivity", "signups", 100);
pub const TEAM_MEMBERS: List = List::paged("VolunteerTeam", "members", 100);
/// One per wish status.
pub const WISHES_BY_STATUS: List = List::bounded("WishStatistics", "byStatus", 10);
/// One per registration status.
pub const MEMBER_REGISTRATIONS_BY_STATUS: List =
    List::bounded("RegistrationStatistics", "memberRegistrationsByStatus", 5);
/// One per registration status.
pub const ORG_REGISTRATIONS_BY_STATUS: List =
    List::bounded("RegistrationStatistics", "orgRegistrationsByStatus", 4);

/// Every list that is not a connection, outside mutation payloads.
pub const ALL: &[List] = &[
    UNIT_CHILDREN,
    SERVICE_CENTRES,
    UNIT_STAFF,
    WISH_CLAIMS,
    WISH_HISTORY,
    MEMBER_POST_CLAIMS,
    MEMBER_REGISTRATIONS,
    MEMBER_SELF_REPORTS,
    POINTS_ENTRIES,
    CERTIFIED_SERVICES,
    HOURS_BY_AREA,
    HOURS_BY_MONTH,
    HOURS_BY_ORGANIZATION,
    POST_CLAIMS,
    ACTIVITY_SIGNUPS,
    TEAM_MEMBERS,
    WISHES_BY_STATUS,
    MEMBER_REGISTRATIONS_BY_STATUS,
    ORG_REGISTRATIONS_BY_STATUS,
];

/// The declared list `field` of `ty`, if it is one.
pub fn declared(ty: &str, field: &str) -> Option<List> {
    ALL.iter()
        .copied()
        .find(|list| list.ty == ty && list.field == field)
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_schema;
    use async_graphql::parser::types::{BaseType, TypeKind, TypeSystemDefinition};
    use sea_orm::Iterable;

    use super::*;

    /// The list fields of objects' types in the printed schema, with the description of their
    /// `first` argument if they have one: every list of objects, outside connections, mutation
    /// payloads and `Query.nodes`.
    fn lists_of_objects() -> Vec<(String, String, Option<String>)> {
        let schema = parse_schema(include_str!("../../../schema.graphql")).expect("the SDL");
        let types: Vec<_> = schema
            .definitions
            .iter()
            .filter_map(|definition| match definition {
                TypeSystemDefinition::Type(ty) => Some(&ty.node),
                _ => None,
            })
            .collect();
        let is_object = |name: &str| {
            types.iter().any(|ty| {
                ty.name.node == name
                    && matches!(ty.kind, TypeKind::Object(_) | TypeKind::Interface(_))
            })
        };
        let mut found = Vec::new();
        for ty in &types {
            let TypeKind::Object(object) = &ty.kind else {
                continue;
            };
            let name = ty.name.node.as_str();
            if ["Connection", "Payload", "Row"]
                .iter()
                .any(|suffix| name.ends_with(suffix))
            {
                continue;
            }
            for field in &object.fields {
                let field = &field.node;
                let BaseType::List(item) = &field.ty.node.base else {
                    continue;
                };
                let BaseType::Named(item) = &item.base else {
                    continue;
                };
                if !is_object(item) || (name == "Query" && field.name.node == "nodes") {
                    continue;
                }
                let first = field
                    .arguments
                    .iter()
                    .find(|argument| argument.node.name.node == "first")
                    .map(|argument| {
                        argument
                            .node
                            .description
                            .as_ref()
                            .map_or(String::new(), |text| text.node.clone())
                    });
                found.push((name.to_owned(), field.name.node.to_string(), first));
            }
        }
        found
    }

    #[test]
    fn every_list_of_objects_is_declared_and_says_its_maximum() {
        let found = lists_of_objects();
        for (ty, field, first) in &found {
            let list = declared(ty, field)
                .unwrap_or_else(|| panic!("`{ty}.{field}` is a list without a declared maximum"));
            match first {
                Some(description) => {
                    assert!(list.paged, "`{ty}.{field}` takes `first` but is not paged");
                    let max = list.max;
                    assert!(
                        description.contains(&format!("1 to {max}; {max} when left out")),
                        "`{ty}.{field}(first:)` does not say its maximum {max}: {description}"
                    );
                }
                None => assert!(!list.paged, "`{ty}.{field}` is paged but takes no `first`"),
            }
        }
        for list in ALL {
            assert!(
                found
                    .iter()
                    .any(|(ty, field, _)| ty == list.ty && field == list.field),
                "{list:?} is not in the schema"
            );
        }
    }

    #[test]
    fn lists_bounded_by_their_kind_hold_one_item_per_value() {
        use entities::member_registration::MemberRegistrationStatus;
        use entities::micro_wish::WishStatus;
        use entities::org_registration::OrgRegistrationStatus;
        use entities::volunteer_team::VolunteerArea;
        let values = [
            (WISHES_BY_STATUS, WishStatus::iter().count()),
            (
                MEMBER_REGISTRATIONS_BY_STATUS,
                MemberRegistrationStatus::iter().count(),
            ),
            (
                ORG_REGISTRATIONS_BY_STATUS,
                OrgRegistrationStatus::iter().count(),
            ),
            (HOURS_BY_AREA, VolunteerArea::iter().count()),
        ];
        for (list, count) in values {
            assert_eq!(list.limit(), count, "{list:?}");
        }
    }

    #[test]
    fn first_lies_between_one_and_the_maximum() {
        assert_eq!(WISH_CLAIMS.items(None).ok(), Some(20));
        assert_eq!(WISH_CLAIMS.items(Some(1)).ok(), Some(1));
        assert_eq!(WISH_CLAIMS.items(Some(20)).ok(), Some(20));
        for out_of_range in [0, -1, 21, i32::MAX] {
            assert!(WISH_CLAIMS.items(Some(out_of_range)).is_err());
        }
    }
}
