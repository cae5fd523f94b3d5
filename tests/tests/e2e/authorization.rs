//! The authorization matrix over HTTP with real tokens: every kind of caller against every
//! resource. Each cell asserts the outcome — refused with the right code, or rows that all lie
//! inside the caller's scope (and, where the caller has records, not none) — and ids outside a
//! caller's scope are NOT_FOUND. Every mutation, given an object its caller may not read, answers
//! NOT_FOUND and nothing of it. Personal data is masked except for the staff of the person's
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
    every_mutation_reveals_nothing_of_objects_the_caller_cannot_read,
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
        "unit { id } person { id } registrations(first: 5) { community { id } grid { id } }",
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
    let query = "{ microWishes(first: 50) { nodes { status community { id } grid { id } claims(first: 5) { claimantOrganization { id } claimantPerson { id } } beneficiary { id } } } }";
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

/// The target argument of mutations, by its name (and, where two types share a name, the
/// mutation's): the node type it names.
fn target_type(mutation: &str, field: &str) -> Option<&'static str> {
    Some(match field {
        "wishId" => "MicroWish",
        "registrationId" if mutation.contains("OrgRegistration") => "OrgRegistration",
        "registrationId" => "MemberRegistration",
        "reportId" if mutation.contains("FeedbackReport") => "FeedbackReport",
        "reportId" => "MemberReport",
        "postId" => "ServicePost",
        "claimId" => "PostClaim",
        "activityId" => "VolunteerActivity",
        "signupId" => "ActivitySignup",
        "recordId" => "ServiceRecord",
        "teamId" => "VolunteerTeam",
        "membershipId" => "TeamMembership",
        "volunteerId" | "beneficiaryId" => "Person",
        "memberId" => "PartyMember",
        _ => return None,
    })
}

/// The table of each node type that mutations act on.
const TABLES: &[(&str, &str)] = &[
    ("MicroWish", "micro_wish"),
    ("MemberRegistration", "member_registration"),
    ("OrgRegistration", "org_registration"),
    ("FeedbackReport", "feedback_report"),
    ("MemberReport", "member_report"),
    ("ServicePost", "service_post"),
    ("PostClaim", "post_claim"),
    ("VolunteerActivity", "volunteer_activity"),
    ("ActivitySignup", "activity_signup"),
    ("ServiceRecord", "service_record"),
    ("VolunteerTeam", "volunteer_team"),
    ("TeamMembership", "team_member"),
    ("Person", "person"),
    ("PartyMember", "party_member"),
];

const INTROSPECTION: &str = r#"{ __schema {
    mutationType { fields { name args { name type { ...T } } type { ...T } } }
    types { name kind inputFields { name type { ...T } } fields { name type { ...T } }
            enumValues { name } }
} }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"#;

/// Every mutation, called by every caller with an object of its target type that the caller
/// may not read (as `node(id:)` says), answers `NOT_FOUND` (or refuses before looking, as
/// `UNAUTHENTICATED`, `FORBIDDEN` or a user error) and returns nothing of any object: no
/// payload object, never the target's id.
async fn every_mutation_reveals_nothing_of_objects_the_caller_cannot_read(app: TestApp) {
    let schema = app.query(INTROSPECTION, json!({})).await;
    let types: std::collections::HashMap<String, Value> = schema["__schema"]["types"]
        .as_array()
        .expect("types")
        .iter()
        .map(|ty| {
            (
                ty["name"].as_str().unwrap_or_default().to_owned(),
                ty.clone(),
            )
        })
        .collect();
    let qiyi = gid("AdminUnit", app.unit_by_code(QIYI).await.id);
    let mut checked = 0;
    for caller in callers(&app).await {
        let unreadable = unreadable_objects(&app, caller.token.as_deref()).await;
        for mutation in schema["__schema"]["mutationType"]["fields"]
            .as_array()
            .expect("mutations")
        {
            let name = mutation["name"].as_str().expect("a name");
            let Some((field, target)) = target_of(name, mutation, &types) else {
                continue;
            };
            let Some(id) = unreadable.get(target) else {
                continue;
            };
            let filler = Filler {
                types: &types,
                target_field: &field,
                target_id: id,
                unit_id: &qiyi,
            };
            let mut arguments = Vec::new();
            let mut variables = serde_json::Map::new();
            for argument in mutation["args"].as_array().expect("arguments") {
                let argument_name = argument["name"].as_str().expect("a name");
                if argument["type"]["kind"] != "NON_NULL" && argument_name != field {
                    continue;
                }
                arguments.push(format!("{argument_name}: ${argument_name}"));
                variables.insert(
                    argument_name.to_owned(),
                    filler.value(&argument["type"], argument_name),
                );
            }
            let declarations: Vec<String> = mutation["args"]
                .as_array()
                .expect("arguments")
                .iter()
                .filter(|argument| {
                    variables.contains_key(argument["name"].as_str().unwrap_or_default())
                })
                .map(|argument| {
                    format!(
                        "${}: {}",
                        argument["name"].as_str().unwrap_or_default(),
                        type_ref(&argument["type"])
                    )
                })
                .collect();
            let payload = named_type(&mutation["type"]);
            let selection = payload_selection(&types[payload]);
            let query = format!(
                "mutation({}) {{ {name}({}) {{ {selection} }} }}",
                declarations.join(", "),
                arguments.join(", ")
            );
            let (status, body) = app
                .post(caller.token.as_deref(), &query, Value::Object(variables))
                .await;
            let cell = format!("{} × {name} on an unreadable {target}", caller.name);
            assert!(status < 500, "{cell}: {status} {body}");
            if let Some(errors) = body["errors"].as_array() {
                for error in errors {
                    let code = error["extensions"]["code"].as_str().unwrap_or_default();
                    assert!(
                        [
                            "NOT_FOUND",
                            "UNAUTHENTICATED",
                            "FORBIDDEN",
                            "BAD_USER_INPUT"
                        ]
                        .contains(&code),
                        "{cell}: {body}"
                    );
                }
            }
            let data = body["data"][name].clone();
            if let Value::Object(payload) = &data {
                for (field, value) in payload {
                    if field != "userErrors" {
                        assert!(
                            value.is_null() || value == &json!([]),
                            "{cell}: the payload carries `{field}`: {body}"
                        );
                    }
                }
            }
            assert!(
                !body["data"].to_string().contains(id.as_str()),
                "{cell}: the answer names the object: {body}"
            );
            checked += 1;
        }
    }
    assert!(checked > 200, "only {checked} cells were checked");
}

/// For each node type, one object the caller may not read, by its global id.
async fn unreadable_objects(
    app: &TestApp,
    token: Option<&str>,
) -> std::collections::HashMap<&'static str, String> {
    use sea_orm::{ConnectionTrait, Statement};
    let mut found = std::collections::HashMap::new();
    for (ty, table) in TABLES {
        let rows = app
            .db()
            .query_all_raw(Statement::from_string(
                app.db().get_database_backend(),
                format!("SELECT id FROM {table} ORDER BY id LIMIT 60"),
            ))
            .await
            .expect("query ids");
        let ids: Vec<String> = rows
            .iter()
            .map(|row| gid(ty, row.try_get::<i64>("", "id").expect("an id")))
            .collect();
        let (_, body) = app
            .post(
                token,
                "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                json!({ "ids": ids }),
            )
            .await;
        let nodes = body["data"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if let Some(index) = nodes.iter().position(Value::is_null) {
            found.insert(*ty, ids[index].clone());
        } else if nodes.is_empty() {
            // Anonymous callers read no nodes of these types at all.
            if let Some(first) = ids.first() {
                found.insert(*ty, first.clone());
            }
        }
    }
    found
}

/// The mutation's target: the name of the argument (or input field) that names the object it
/// acts on, and the object's type.
fn target_of(
    mutation: &str,
    field: &Value,
    types: &std::collections::HashMap<String, Value>,
) -> Option<(String, &'static str)> {
    for argument in field["args"].as_array()? {
        let name = argument["name"].as_str()?;
        if let Some(target) = target_type(mutation, name) {
            return Some((name.to_owned(), target));
        }
        let input = &types[named_type(&argument["type"])];
        for input_field in input["inputFields"].as_array().into_iter().flatten() {
            let name = input_field["name"].as_str()?;
            if named_type(&input_field["type"]) == "ID"
                && let Some(target) = target_type(mutation, name)
            {
                return Some((name.to_owned(), target));
            }
        }
    }
    None
}

/// Fills arguments with plausible values of their types, the target with the object's id.
struct Filler<'a> {
    types: &'a std::collections::HashMap<String, Value>,
    target_field: &'a str,
    target_id: &'a str,
    unit_id: &'a str,
}

impl Filler<'_> {
    fn value(&self, ty: &Value, field: &str) -> Value {
        match ty["kind"].as_str().unwrap_or_default() {
            "NON_NULL" => self.value(&ty["ofType"], field),
            "LIST" => json!([]),
            "ENUM" => {
                self.types[ty["name"].as_str().unwrap_or_default()]["enumValues"][0]["name"].clone()
            }
            "INPUT_OBJECT" => {
                let input = &self.types[ty["name"].as_str().unwrap_or_default()];
                let fields = input["inputFields"].as_array().cloned().unwrap_or_default();
                let object: serde_json::Map<String, Value> = fields
                    .iter()
                    .filter_map(|input_field| {
                        let name = input_field["name"].as_str()?;
                        let wanted =
                            input_field["type"]["kind"] == "NON_NULL" || name == self.target_field;
                        wanted.then(|| (name.to_owned(), self.value(&input_field["type"], name)))
                    })
                    .collect();
                Value::Object(object)
            }
            _ => match ty["name"].as_str().unwrap_or_default() {
                "ID" if field == self.target_field => json!(self.target_id),
                "ID" => json!(self.unit_id),
                "Int" => json!(1),
                "Float" => json!(1.0),
                "Boolean" => json!(true),
                "DateTime" => json!((chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339()),
                "Date" => json!(
                    (chrono::Utc::now() + chrono::Duration::days(2))
                        .format("%Y-%m-%d")
                        .to_string()
                ),
                _ => json!("试一试"),
            },
        }
    }
}

/// The type as a variable declares it: `[ID!]!`.
fn type_ref(ty: &Value) -> String {
    match ty["kind"].as_str().unwrap_or_default() {
        "NON_NULL" => format!("{}!", type_ref(&ty["ofType"])),
        "LIST" => format!("[{}]", type_ref(&ty["ofType"])),
        _ => ty["name"].as_str().unwrap_or_default().to_owned(),
    }
}

fn named_type(ty: &Value) -> &str {
    match ty["name"].as_str() {
        Some(name) => name,
        None => named_type(&ty["ofType"]),
    }
}

/// Every object field of a payload (by its `__typename`), and its user errors' codes.
fn payload_selection(payload: &Value) -> String {
    payload["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|field| {
            let kind = innermost_kind(&field["type"]);
            kind == "OBJECT" || kind == "INTERFACE"
        })
        .map(|field| match field["name"].as_str().unwrap_or_default() {
            "userErrors" => "userErrors { code }".to_owned(),
            name => format!("{name} {{ __typename }}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn innermost_kind(ty: &Value) -> &str {
    match ty["kind"].as_str().unwrap_or_default() {
        "NON_NULL" | "LIST" => innermost_kind(&ty["ofType"]),
        kind => kind,
    }
}
