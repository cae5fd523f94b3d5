//! The authorization matrix over HTTP with real tokens: every kind of caller against every
//! resource. Each cell asserts the outcome — refused with the right code, or rows that all lie
//! inside the caller's scope (and, where the caller has records, not none) — and ids outside a
//! caller's scope are NOT_FOUND. Personal data is masked except for the staff of the person's
//! own community or grid, and each unmasked read is audited.

use std::collections::HashSet;

use entities::organization::OrganizationKind;
use entities::{admin_unit, audit_log, micro_wish, party_member, wish_claim};
use gongzhi::auth::Scope;
use gongzhi::graphql::ids::global_id;
use gongzhi_tests::demo::{
    DISTRICT, QIYI, QIYI_GRID, SUBDISTRICT, busiest_partner, organization_of,
};
use gongzhi_tests::{Role, TestApp, e2e};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

e2e!(
    every_caller_sees_exactly_its_scope,
    personal_data_is_masked_and_its_reads_audited,
    a_party_unit_sees_its_members_but_not_their_points,
);

/// A caller of the matrix and what it may see beyond the public catalogue.
struct Caller {
    name: &'static str,
    token: Option<String>,
    /// Global ids of the communities and grids where the caller is staff.
    units: HashSet<String>,
    /// Global ids of the organisations the caller acts for.
    organizations: HashSet<String>,
    /// Global id of the person the caller is.
    person: Option<String>,
    /// The protected resources where the caller has records in the demo district, so that
    /// its rows there must not be none.
    expects: Vec<&'static str>,
}

/// The protected resources, each with the fields that say whose a row is.
const PROTECTED: &[(&str, &str)] = &[
    (
        "people",
        "id community { id } grid { id } partyMember { unit { id } }",
    ),
    (
        "partyMembers",
        "unit { id } person { id } registrations { community { id } grid { id } }",
    ),
    (
        "memberRegistrations",
        "community { id } grid { id } unit { id } member { person { id } }",
    ),
    (
        "postClaims",
        "post { community { id } } member { unit { id } person { id } }",
    ),
    ("feedbackReports", "community { id } unit { id }"),
    (
        "activitySignups",
        "activity { community { id } organization { id } } volunteer { id }",
    ),
    (
        "serviceRecords",
        "community { id } organization { id } memberUnit { id } volunteer { id }",
    ),
    (
        "wishClaims",
        "wish { community { id } grid { id } beneficiary { id } } claimantOrganization { id } claimantPerson { id }",
    ),
];

async fn every_caller_sees_exactly_its_scope(app: TestApp) {
    for caller in callers(&app).await {
        for (resource, fields) in PROTECTED {
            let query =
                format!("{{ {resource}(first: 50) {{ totalCount nodes {{ {fields} }} }} }}");
            let (status, body) = app.post(caller.token.as_deref(), &query, json!({})).await;
            assert_eq!(status, 200, "{} × {resource}: {body}", caller.name);
            if caller.token.is_none() {
                assert_eq!(
                    body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
                    "anonymous × {resource}"
                );
                continue;
            }
            assert!(
                body.get("errors").is_none(),
                "{} × {resource}: {body}",
                caller.name
            );
            let rows = body["data"][resource]["nodes"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for row in &rows {
                assert!(
                    caller.may_see(row),
                    "{} must not see this {resource}: {row}",
                    caller.name
                );
            }
            if caller.expects.contains(resource) {
                assert!(
                    !rows.is_empty(),
                    "{} sees none of its own {resource}",
                    caller.name
                );
            }
        }
        check_wishes(&app, &caller).await;
    }
    check_missing_scope(&app).await;
    check_ids_out_of_scope_are_not_found(&app).await;
}

impl Caller {
    /// Whether any id in `row` (at any depth) names something of this caller's.
    fn may_see(&self, row: &Value) -> bool {
        let mut ids = Vec::new();
        collect_ids(row, &mut ids);
        ids.iter().any(|id| {
            self.units.contains(*id)
                || self.organizations.contains(*id)
                || self.person.as_deref() == Some(*id)
        })
    }
}

/// Collects the `id` strings in `value`, at any depth.
fn collect_ids<'a>(value: &'a Value, ids: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("id", Value::String(id)) => ids.push(id),
                    _ => collect_ids(value, ids),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_ids(item, ids)),
        _ => {}
    }
}

/// Wishes: everyone sees the open ones; beyond them, only what is in the caller's scope.
async fn check_wishes(app: &TestApp, caller: &Caller) {
    let query = "{ microWishes(first: 50) { nodes { status community { id } grid { id } claims { claimantOrganization { id } claimantPerson { id } } beneficiary { id } } } }";
    let data = app
        .query_as(caller.token.as_deref(), query, json!({}))
        .await;
    for wish in data["microWishes"]["nodes"].as_array().expect("wishes") {
        assert!(
            wish["status"] == "OPEN" || caller.may_see(wish),
            "{} must not see {wish}",
            caller.name
        );
        if wish["beneficiary"] != Value::Null {
            assert!(
                caller.may_see(wish),
                "{} must not see the beneficiary of {wish}",
                caller.name
            );
        }
    }
}

/// A partner's client without the scope of an area is refused it, naming the scope.
async fn check_missing_scope(app: &TestApp) {
    let partner = busiest_partner(app).await;
    let token = app.client_token(partner.id, &[Scope::WishesRead]);
    let (_, errors) = app
        .errors(Some(&token), "{ serviceRecords { totalCount } }", json!({}))
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "FORBIDDEN");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("volunteering:read"),
        "{errors:?}"
    );
    let data = app
        .query_as(Some(&token), "{ wishClaims { totalCount } }", json!({}))
        .await;
    assert!(
        data["wishClaims"]["totalCount"].as_u64() > Some(0),
        "the granted scope works"
    );
}

/// Asking by id for an object outside one's scope is NOT_FOUND, as for one that does not exist.
async fn check_ids_out_of_scope_are_not_found(app: &TestApp) {
    let partner = busiest_partner(app).await;
    let others_claim = wish_claim::Entity::find()
        .filter(wish_claim::Column::ClaimantOrganizationId.ne(partner.id))
        .filter(wish_claim::Column::ClaimantOrganizationId.is_not_null())
        .one(app.db())
        .await
        .expect("query claims")
        .expect("another organisation's claim");
    let token = app.client_token(partner.id, &Scope::ALL);
    let query = "query($id: ID!) { node(id: $id) { id } }";
    let id = gid("WishClaim", others_claim.id);
    let (_, errors) = app.errors(Some(&token), query, json!({ "id": id })).await;
    assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND");

    let own_claim = wish_claim::Entity::find()
        .filter(wish_claim::Column::ClaimantOrganizationId.eq(partner.id))
        .one(app.db())
        .await
        .expect("query claims")
        .expect("the partner's own claim");
    let data = app
        .query_as(
            Some(&token),
            query,
            json!({ "id": gid("WishClaim", own_claim.id) }),
        )
        .await;
    assert_eq!(data["node"]["id"], json!(gid("WishClaim", own_claim.id)));

    let resident = resident(app).await;
    let resident_token = app.person_token(resident.beneficiary_person_id);
    let stranger = gid(
        "Person",
        resident
            .poster_person_id
            .max(resident.beneficiary_person_id)
            + 1,
    );
    let (_, errors) = app
        .errors(Some(&resident_token), query, json!({ "id": stranger }))
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND");
}

async fn personal_data_is_masked_and_its_reads_audited(app: TestApp) {
    let query = "{ people(first: 5) { nodes { name phone personalDataVisible } } }";
    let audited = || async {
        audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("read_personal_data"))
            .count(app.db())
            .await
            .expect("count audit records")
    };

    let community_staff = app.staff_token(Role::CommunityStaff, QIYI).await;
    let before = audited().await;
    let data = app.query_as(Some(&community_staff), query, json!({})).await;
    let people = data["people"]["nodes"].as_array().expect("people");
    assert_eq!(people.len(), 5);
    for person in people {
        assert_eq!(person["personalDataVisible"], true, "{person}");
        assert!(
            !person["name"].as_str().unwrap_or_default().contains('*'),
            "{person}"
        );
    }
    assert_eq!(
        audited().await,
        before + 5,
        "one audit record per person read unmasked"
    );

    let district_staff = app.staff_token(Role::DistrictStaff, DISTRICT).await;
    let before = audited().await;
    let data = app.query_as(Some(&district_staff), query, json!({})).await;
    for person in data["people"]["nodes"].as_array().expect("people") {
        assert_eq!(person["personalDataVisible"], false, "{person}");
        assert!(
            person["name"].as_str().unwrap_or_default().ends_with('*'),
            "{person}"
        );
        let phone = person["phone"].as_str().unwrap_or_default();
        assert!(phone.is_empty() || phone.contains("****"), "{person}");
    }
    assert_eq!(
        audited().await,
        before,
        "masked reads are not personal-data reads"
    );
}

/// The callers of the matrix: anonymous, staff at each level, organisations' administrators,
/// a Party member, a resident and a partner's client.
async fn callers(app: &TestApp) -> Vec<Caller> {
    let partner = busiest_partner(app).await;
    let party_unit = organization_of(app, OrganizationKind::PartyUnit).await;
    let department = organization_of(app, OrganizationKind::Department).await;
    let member = party_member::Entity::find()
        .filter(party_member::Column::OrganizationId.eq(party_unit.id))
        .one(app.db())
        .await
        .expect("query members")
        .expect("a member of the party unit");
    let resident = resident(app).await;
    let org = |id: i64| HashSet::from([gid("Organization", id)]);
    let person = |id: i64| Some(gid("Person", id));
    let nothing = HashSet::new;
    let mut callers = vec![Caller {
        name: "anonymous",
        token: None,
        units: nothing(),
        organizations: nothing(),
        person: None,
        expects: vec![],
    }];
    let everything: Vec<&str> = PROTECTED.iter().map(|(resource, _)| *resource).collect();
    let grid_records = vec![
        "people",
        "partyMembers",
        "memberRegistrations",
        "wishClaims",
    ];
    for (name, role, code, expects) in [
        (
            "district staff",
            Role::DistrictStaff,
            DISTRICT,
            everything.clone(),
        ),
        (
            "sub-district staff",
            Role::SubdistrictStaff,
            SUBDISTRICT,
            everything.clone(),
        ),
        ("community staff", Role::CommunityStaff, QIYI, everything),
        ("grid staff", Role::GridStaff, QIYI_GRID, grid_records),
    ] {
        callers.push(Caller {
            name,
            token: Some(app.staff_token(role, code).await),
            units: units_within(app, code).await,
            organizations: nothing(),
            person: None,
            expects,
        });
    }
    callers.extend([
        Caller {
            name: "department handler",
            token: Some(app.org_admin_token(Role::DepartmentHandler, department.id)),
            units: nothing(),
            organizations: org(department.id),
            person: None,
            expects: vec![],
        },
        Caller {
            name: "partner organisation admin",
            token: Some(app.org_admin_token(Role::OrgAdmin, partner.id)),
            units: nothing(),
            organizations: org(partner.id),
            person: None,
            expects: vec!["wishClaims"],
        },
        Caller {
            name: "in-office Party unit admin",
            token: Some(app.org_admin_token(Role::PartyUnitAdmin, party_unit.id)),
            units: nothing(),
            organizations: org(party_unit.id),
            person: None,
            expects: vec![
                "partyMembers",
                "memberRegistrations",
                "feedbackReports",
                "people",
            ],
        },
        Caller {
            name: "Party member",
            token: Some(app.person_token(member.person_id)),
            units: nothing(),
            organizations: nothing(),
            person: person(member.person_id),
            expects: vec!["partyMembers", "memberRegistrations", "people"],
        },
        Caller {
            name: "resident",
            token: Some(app.person_token(resident.beneficiary_person_id)),
            units: nothing(),
            organizations: nothing(),
            person: person(resident.beneficiary_person_id),
            expects: vec!["people"],
        },
        Caller {
            name: "third-party app client",
            token: Some(app.client_token(partner.id, &Scope::ALL)),
            units: nothing(),
            organizations: org(partner.id),
            person: None,
            expects: vec!["wishClaims"],
        },
    ]);
    callers
}

/// The global ids of the unit with `code` and of every unit below it.
async fn units_within(app: &TestApp, code: &str) -> HashSet<String> {
    let unit = app.unit_by_code(code).await;
    admin_unit::Entity::find()
        .filter(admin_unit::Column::Path.starts_with(&unit.path))
        .all(app.db())
        .await
        .expect("query units")
        .into_iter()
        .map(|unit| gid("AdminUnit", unit.id))
        .collect()
}

/// A wish whose beneficiary posted it themself, for a resident caller.
async fn resident(app: &TestApp) -> micro_wish::Model {
    micro_wish::Entity::find()
        .order_by_asc(micro_wish::Column::Id)
        .one(app.db())
        .await
        .expect("query wishes")
        .expect("a wish")
}

/// The global id of row `id` of `type_name`, as a string.
fn gid(type_name: &str, id: i64) -> String {
    global_id(type_name, id).0
}

/// A Party unit reads its members (and their registrations), not their points ledgers: those
/// are the volunteer's own and their community's staff's.
async fn a_party_unit_sees_its_members_but_not_their_points(app: TestApp) {
    let member = party_member::Entity::find()
        .order_by_asc(party_member::Column::Id)
        .one(app.db())
        .await
        .expect("query members")
        .expect("the demo district has Party members");
    let person = json!({ "id": global_id("Person", member.person_id) });
    const PERSON: &str = r#"query($id: ID!) { node(id: $id) { id } }"#;
    const POINTS: &str = r#"query($id: ID!) { volunteerPoints(volunteer: $id) { balance entries { points note } } }"#;
    let unit = [
        app.client_token(
            member.organization_id,
            &[Scope::RegistrationsRead, Scope::VolunteeringRead],
        ),
        app.org_admin_token(Role::PartyUnitAdmin, member.organization_id),
    ];
    for token in &unit {
        let seen = app.query_as(Some(token), PERSON, person.clone()).await;
        assert_eq!(seen["node"]["id"], person["id"], "the unit sees its member");
        let points = app.query_as(Some(token), POINTS, person.clone()).await;
        assert_eq!(points["volunteerPoints"], Value::Null, "{points}");
    }
    let own = app
        .query_as(Some(&app.person_token(member.person_id)), POINTS, person)
        .await;
    assert!(own["volunteerPoints"]["balance"].is_number(), "{own}");
}
