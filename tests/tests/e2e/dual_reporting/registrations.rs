//! Member registrations (在职党员到社区报到) over HTTP: every transition by role, one open
//! registration per member under concurrent submissions, transfers, and bulk registration.

use std::time::Instant;

use entities::admin_unit::{self, UnitLevel};
use entities::audit_log;
use entities::member_registration::{self, MemberRegistrationStatus};
use entities::{party_member, person};
use futures::future::join_all;
use gongzhi::auth::Scope;
use gongzhi::graphql::ids::global_id;
use gongzhi_tests::demo::{QIYI, grids_of, other_community, unit_by_id, unregistered_members};
use gongzhi_tests::{Role, TestApp, e2e};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use super::common::{DEREGISTER, new_members};

e2e!(
    a_member_registers_and_community_staff_accept,
    refused_registration_transitions_say_why,
    a_transfer_closes_the_old_registration_and_opens_the_new,
    concurrent_submissions_leave_one_open_registration,
    a_bulk_call_applies_valid_rows_and_reports_the_rest,
    a_retried_bulk_call_returns_its_first_result,
    concurrent_calls_with_one_key_do_the_work_once,
);

const REGISTER: &str = r#"mutation($member: ID, $community: ID!, $grid: ID) {
    registerMember(input: { memberId: $member, communityId: $community, gridId: $grid }) {
        registration { id status submittedBy community { name } grid { name } }
        userErrors { field message code }
    }
}"#;

const ACCEPT: &str = r#"mutation($id: ID!, $grid: ID) {
    acceptMemberRegistration(input: { registrationId: $id, gridId: $grid }) {
        registration { status grid { id } receiptIssuedAt decidedAt }
        userErrors { field code }
    }
}"#;

const REJECT: &str = r#"mutation($id: ID!, $note: String!) {
    rejectMemberRegistration(input: { registrationId: $id, note: $note }) {
        registration { status decisionNote }
        userErrors { field code }
    }
}"#;

const TRANSFER: &str = r#"mutation($id: ID!, $community: ID!) {
    transferMemberRegistration(input: { registrationId: $id, communityId: $community }) {
        registration { id status community { id } }
        userErrors { field code }
    }
}"#;

async fn a_member_registers_and_community_staff_accept(app: TestApp) {
    let member = unregistered_members(&app, 1).await.remove(0);
    let qiyi = app.unit_by_code(QIYI).await;
    let grid = grids_of(&app, qiyi.id).await.remove(0);
    let own = app.person_token(member.person_id);

    // A member registers themself, leaving out their member id.
    let data = app
        .query_as(
            Some(&own),
            REGISTER,
            json!({ "community": global_id("AdminUnit", qiyi.id) }),
        )
        .await;
    let payload = &data["registerMember"];
    assert_eq!(payload["userErrors"], json!([]));
    assert_eq!(payload["registration"]["status"], "SUBMITTED");
    assert_eq!(payload["registration"]["submittedBy"], "MEMBER");
    assert_eq!(payload["registration"]["grid"], Value::Null);
    let id = payload["registration"]["id"].clone();

    // A second submission while this one is open is refused.
    let again = app
        .query_as(
            Some(&own),
            REGISTER,
            json!({ "community": global_id("AdminUnit", qiyi.id) }),
        )
        .await;
    assert_eq!(
        again["registerMember"]["userErrors"][0],
        json!({
            "field": ["input", "memberId"],
            "message": "the member already has an open registration",
            "code": "ALREADY_REGISTERED"
        })
    );

    // The member may neither decide on their own registration nor be accepted without a grid.
    let data = app
        .query_as(Some(&own), REJECT, json!({ "id": id, "note": "不去了" }))
        .await;
    assert_eq!(
        data["rejectMemberRegistration"]["userErrors"][0]["code"],
        "NOT_COMMUNITY_STAFF"
    );
    let staff = app.staff_token(Role::CommunityStaff, QIYI).await;
    let data = app
        .query_as(Some(&staff), ACCEPT, json!({ "id": id }))
        .await;
    assert_eq!(
        data["acceptMemberRegistration"]["userErrors"][0],
        json!({ "field": ["input", "gridId"], "code": "GRID_REQUIRED" })
    );

    let accepted = app
        .query_as(
            Some(&staff),
            ACCEPT,
            json!({ "id": id, "grid": global_id("AdminUnit", grid.id) }),
        )
        .await;
    let payload = &accepted["acceptMemberRegistration"];
    assert_eq!(payload["userErrors"], json!([]));
    assert_eq!(payload["registration"]["status"], "ACCEPTED");
    assert_eq!(
        payload["registration"]["grid"]["id"],
        global_id("AdminUnit", grid.id).to_string()
    );
    assert!(payload["registration"]["receiptIssuedAt"].is_string());
    assert!(payload["registration"]["decidedAt"].is_string());

    let twice = app
        .query_as(
            Some(&staff),
            ACCEPT,
            json!({ "id": id, "grid": global_id("AdminUnit", grid.id) }),
        )
        .await;
    assert_eq!(
        twice["acceptMemberRegistration"]["userErrors"][0]["code"],
        "NOT_SUBMITTED"
    );

    let actions = audit_actions(&app, &member).await;
    assert_eq!(
        actions,
        vec![
            ("register_member".to_owned(), "submitted".to_owned()),
            (
                "accept_member_registration".to_owned(),
                "accepted".to_owned()
            ),
        ]
    );
}

async fn refused_registration_transitions_say_why(app: TestApp) {
    let [member, stranger]: [party_member::Model; 2] = unregistered_members(&app, 2)
        .await
        .try_into()
        .expect("two members");
    let qiyi = app.unit_by_code(QIYI).await;
    let other = other_community(&app, qiyi.id).await;
    let qiyi_grid = grids_of(&app, qiyi.id).await.remove(0);
    let other_grid = grids_of(&app, other.id).await.remove(0);
    let community = global_id("AdminUnit", qiyi.id);
    let member_id = global_id("PartyMember", member.id);

    // Outright refusals: no token, or a client without `registrations:write`.
    let (_, errors) = app
        .errors(
            None,
            REGISTER,
            json!({ "member": member_id, "community": community }),
        )
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "UNAUTHENTICATED");
    let reader = app.client_token(member.organization_id, &[Scope::RegistrationsRead]);
    let (_, errors) = app
        .errors(
            Some(&reader),
            REGISTER,
            json!({ "member": member_id, "community": community }),
        )
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "FORBIDDEN");

    // Another person cannot even see the member.
    let (_, errors) = app
        .errors(
            Some(&app.person_token(stranger.person_id)),
            REGISTER,
            json!({ "member": member_id, "community": community }),
        )
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND");

    // A person who is no Party member has nobody to register.
    let resident = person::Entity::find()
        .filter(
            person::Column::Id.not_in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(party_member::Column::PersonId)
                    .from(party_member::Entity)
                    .to_owned(),
            ),
        )
        .one(app.db())
        .await
        .expect("query people")
        .expect("a resident who is not a member");
    let data = app
        .query_as(
            Some(&app.person_token(resident.id)),
            REGISTER,
            json!({ "community": community }),
        )
        .await;
    assert_eq!(
        data["registerMember"]["userErrors"][0]["code"],
        "NOT_A_MEMBER"
    );

    // Community staff see the members registered with them, but do not register them.
    let staff = app.staff_token(Role::CommunityStaff, QIYI).await;
    let registered_here = member_registration::Entity::find()
        .filter(member_registration::Column::CommunityId.eq(qiyi.id))
        .filter(member_registration::Column::Status.eq(MemberRegistrationStatus::Accepted))
        .one(app.db())
        .await
        .expect("query registrations")
        .expect("七一 has an accepted registration");
    let data = app
        .query_as(
            Some(&staff),
            REGISTER,
            json!({
                "member": global_id("PartyMember", registered_here.party_member_id),
                "community": community,
            }),
        )
        .await;
    assert_eq!(
        data["registerMember"]["userErrors"][0],
        json!({ "field": ["input"], "message": "only the member or their own unit may do this", "code": "NOT_REGISTRANT" })
    );

    // The unit's administrator registers its member, but only with a community and a grid in it.
    let unit_admin = app.org_admin_token(Role::PartyUnitAdmin, member.organization_id);
    for (variables, field, code) in [
        (
            json!({ "member": member_id, "community": global_id("AdminUnit", qiyi_grid.id) }),
            "communityId",
            "UNKNOWN_COMMUNITY",
        ),
        (
            json!({ "member": member_id, "community": community, "grid": global_id("AdminUnit", other_grid.id) }),
            "gridId",
            "GRID_NOT_IN_COMMUNITY",
        ),
    ] {
        let data = app.query_as(Some(&unit_admin), REGISTER, variables).await;
        assert_eq!(
            data["registerMember"]["userErrors"][0]["code"], code,
            "{data}"
        );
        assert_eq!(
            data["registerMember"]["userErrors"][0]["field"],
            json!(["input", field])
        );
    }
    let data = app
        .query_as(
            Some(&unit_admin),
            REGISTER,
            json!({ "member": member_id, "community": community, "grid": global_id("AdminUnit", qiyi_grid.id) }),
        )
        .await;
    assert_eq!(data["registerMember"]["userErrors"], json!([]));
    assert_eq!(
        data["registerMember"]["registration"]["submittedBy"],
        "UNIT"
    );
    let id = data["registerMember"]["registration"]["id"].clone();

    // Only the community's staff decide: the unit is refused, other communities' staff cannot
    // see the registration at all.
    let data = app
        .query_as(Some(&unit_admin), ACCEPT, json!({ "id": id }))
        .await;
    assert_eq!(
        data["acceptMemberRegistration"]["userErrors"][0]["code"],
        "NOT_COMMUNITY_STAFF"
    );
    let elsewhere = app.staff_token(Role::CommunityStaff, &other.code).await;
    let (_, errors) = app
        .errors(Some(&elsewhere), ACCEPT, json!({ "id": id }))
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND");

    // Staff must assign a grid inside the community.
    let data = app
        .query_as(
            Some(&staff),
            ACCEPT,
            json!({ "id": id, "grid": global_id("AdminUnit", other_grid.id) }),
        )
        .await;
    assert_eq!(
        data["acceptMemberRegistration"]["userErrors"][0],
        json!({ "field": ["input", "gridId"], "code": "GRID_NOT_IN_COMMUNITY" })
    );

    // A submitted registration is neither transferred nor deregistered.
    let data = app
        .query_as(
            Some(&unit_admin),
            TRANSFER,
            json!({ "id": id, "community": global_id("AdminUnit", other.id) }),
        )
        .await;
    assert_eq!(
        data["transferMemberRegistration"]["userErrors"][0]["code"],
        "NOT_ACTIVE"
    );
    let data = app
        .query_as(Some(&unit_admin), DEREGISTER, json!({ "id": id }))
        .await;
    assert_eq!(
        data["deregisterMember"]["userErrors"][0]["code"],
        "NOT_ACTIVE"
    );

    // A rejection needs a note; then the registration is closed and the member may register
    // again.
    let data = app
        .query_as(Some(&staff), REJECT, json!({ "id": id, "note": "  " }))
        .await;
    assert_eq!(
        data["rejectMemberRegistration"]["userErrors"][0],
        json!({ "field": ["input", "note"], "code": "NOTE_REQUIRED" })
    );
    let data = app
        .query_as(
            Some(&staff),
            REJECT,
            json!({ "id": id, "note": "未能核实居住地址" }),
        )
        .await;
    assert_eq!(
        data["rejectMemberRegistration"],
        json!({
            "registration": { "status": "REJECTED", "decisionNote": "未能核实居住地址" },
            "userErrors": []
        })
    );
    let data = app
        .query_as(Some(&staff), REJECT, json!({ "id": id, "note": "again" }))
        .await;
    assert_eq!(
        data["rejectMemberRegistration"]["userErrors"][0]["code"],
        "NOT_SUBMITTED"
    );
    let data = app
        .query_as(
            Some(&app.person_token(member.person_id)),
            REGISTER,
            json!({ "community": community }),
        )
        .await;
    assert_eq!(
        data["registerMember"]["registration"]["status"],
        "SUBMITTED"
    );
}

async fn a_transfer_closes_the_old_registration_and_opens_the_new(app: TestApp) {
    let old = member_registration::Entity::find()
        .filter(member_registration::Column::Status.eq(MemberRegistrationStatus::Accepted))
        .order_by_asc(member_registration::Column::Id)
        .one(app.db())
        .await
        .expect("query registrations")
        .expect("an accepted registration");
    let current = unit_by_id(&app, old.community_id).await;
    let target = other_community(&app, old.community_id).await;
    let client = app.client_token(
        old.organization_id,
        &[Scope::RegistrationsRead, Scope::RegistrationsWrite],
    );
    let id = global_id("MemberRegistration", old.id);

    // The community's staff do not move members away; the member or their unit does.
    let staff_here = app.staff_token(Role::CommunityStaff, &current.code).await;
    let data = app
        .query_as(
            Some(&staff_here),
            TRANSFER,
            json!({ "id": id, "community": global_id("AdminUnit", target.id) }),
        )
        .await;
    assert_eq!(
        data["transferMemberRegistration"]["userErrors"][0]["code"],
        "NOT_REGISTRANT"
    );

    let data = app
        .query_as(
            Some(&client),
            TRANSFER,
            json!({ "id": id, "community": global_id("AdminUnit", current.id) }),
        )
        .await;
    assert_eq!(
        data["transferMemberRegistration"]["userErrors"][0],
        json!({ "field": ["input", "communityId"], "code": "SAME_COMMUNITY" })
    );

    let data = app
        .query_as(
            Some(&client),
            TRANSFER,
            json!({ "id": id, "community": global_id("AdminUnit", target.id) }),
        )
        .await;
    let payload = &data["transferMemberRegistration"];
    assert_eq!(payload["userErrors"], json!([]));
    assert_eq!(payload["registration"]["status"], "SUBMITTED");
    assert_eq!(
        payload["registration"]["community"]["id"],
        global_id("AdminUnit", target.id).to_string()
    );
    let new_id = payload["registration"]["id"].clone();

    let closed = app
        .query_as(
            Some(&client),
            r#"query($id: ID!) { node(id: $id) { ... on MemberRegistration {
                status transferredTo { id status } } } }"#,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        closed["node"],
        json!({ "status": "TRANSFERRED", "transferredTo": { "id": new_id, "status": "SUBMITTED" } })
    );
    let open = member_registration::Entity::find()
        .filter(member_registration::Column::PartyMemberId.eq(old.party_member_id))
        .filter(member_registration::Column::Status.is_in([
            MemberRegistrationStatus::Submitted,
            MemberRegistrationStatus::Accepted,
        ]))
        .count(app.db())
        .await
        .expect("count registrations");
    assert_eq!(open, 1);

    // A transferred registration cannot be transferred again; the new community accepts the
    // new one, and its staff may deregister the member.
    let data = app
        .query_as(
            Some(&client),
            TRANSFER,
            json!({ "id": id, "community": global_id("AdminUnit", target.id) }),
        )
        .await;
    assert_eq!(
        data["transferMemberRegistration"]["userErrors"][0]["code"],
        "NOT_ACTIVE"
    );
    let staff = app.staff_token(Role::CommunityStaff, &target.code).await;
    let grid = grids_of(&app, target.id).await.remove(0);
    let data = app
        .query_as(
            Some(&staff),
            ACCEPT,
            json!({ "id": new_id, "grid": global_id("AdminUnit", grid.id) }),
        )
        .await;
    assert_eq!(
        data["acceptMemberRegistration"]["registration"]["status"],
        "ACCEPTED"
    );
    let data = app
        .query_as(Some(&staff), DEREGISTER, json!({ "id": new_id }))
        .await;
    assert_eq!(
        data["deregisterMember"],
        json!({ "registration": { "status": "DEREGISTERED" }, "userErrors": [] })
    );
}

async fn concurrent_submissions_leave_one_open_registration(app: TestApp) {
    let member = unregistered_members(&app, 1).await.remove(0);
    let communities = admin_unit::Entity::find()
        .filter(admin_unit::Column::Level.eq(UnitLevel::Community))
        .order_by_asc(admin_unit::Column::Id)
        .all(app.db())
        .await
        .expect("query communities");
    // The member, their unit's administrator and its client all submit at once, to several
    // communities.
    let tokens = [
        app.person_token(member.person_id),
        app.org_admin_token(Role::PartyUnitAdmin, member.organization_id),
        app.client_token(member.organization_id, &[Scope::RegistrationsWrite]),
    ];
    let requests = (0..24).map(|n| {
        let community = &communities[n % communities.len()];
        app.query_as(
            Some(&tokens[n % tokens.len()]),
            REGISTER,
            json!({
                "member": global_id("PartyMember", member.id),
                "community": global_id("AdminUnit", community.id),
            }),
        )
    });
    let responses = join_all(requests).await;
    let codes: Vec<Value> = responses
        .iter()
        .map(|data| data["registerMember"]["userErrors"][0]["code"].clone())
        .collect();
    let winners = codes.iter().filter(|code| code.is_null()).count();
    let refused = codes
        .iter()
        .filter(|code| **code == "ALREADY_REGISTERED")
        .count();
    assert_eq!((winners, refused), (1, 23), "codes: {codes:?}");
    let open = member_registration::Entity::find()
        .filter(member_registration::Column::PartyMemberId.eq(member.id))
        .filter(member_registration::Column::Status.eq(MemberRegistrationStatus::Submitted))
        .count(app.db())
        .await
        .expect("count registrations");
    assert_eq!(open, 1);
}

const BULK: &str = r#"mutation($unit: ID!, $rows: [BulkMemberRow!]!) {
    bulkRegisterMembers(input: { unitId: $unit, rows: $rows }) {
        appliedCount
        refusedCount
        rows { index registration { status submittedBy community { id } } userErrors { field code } }
    }
}"#;

async fn a_bulk_call_applies_valid_rows_and_reports_the_rest(app: TestApp) {
    let qiyi = app.unit_by_code(QIYI).await;
    let other = other_community(&app, qiyi.id).await;
    let qiyi_grids = grids_of(&app, qiyi.id).await;
    let other_grid = grids_of(&app, other.id).await.remove(0);
    let unit_id = party_member::Entity::find()
        .order_by_asc(party_member::Column::Id)
        .one(app.db())
        .await
        .expect("query members")
        .expect("a member")
        .organization_id;
    let registered: Vec<i64> = member_registration::Entity::find()
        .filter(member_registration::Column::OrganizationId.eq(unit_id))
        .filter(member_registration::Column::Status.is_in([
            MemberRegistrationStatus::Submitted,
            MemberRegistrationStatus::Accepted,
        ]))
        .all(app.db())
        .await
        .expect("query registrations")
        .into_iter()
        .map(|registration| registration.party_member_id)
        .collect();
    let outsiders = party_member::Entity::find()
        .filter(party_member::Column::OrganizationId.ne(unit_id))
        .order_by_asc(party_member::Column::Id)
        .all(app.db())
        .await
        .expect("query members");
    let fresh = new_members(&app, unit_id, 1_000).await;

    let row = |member: i64, community: i64, grid: Option<i64>| {
        json!({
            "memberId": global_id("PartyMember", member),
            "communityId": global_id("AdminUnit", community),
            "gridId": grid.map(|grid| global_id("AdminUnit", grid)),
        })
    };
    let mut rows = Vec::new();
    let mut expected: Vec<Option<&str>> = Vec::new();
    let mut fresh = fresh.into_iter();
    let mut next = || fresh.next().expect("enough new members");
    for &member in &registered {
        rows.push(row(member, qiyi.id, None));
        expected.push(Some("ALREADY_REGISTERED"));
    }
    for outsider in outsiders.iter().take(10) {
        rows.push(row(outsider.id, qiyi.id, None));
        expected.push(Some("UNKNOWN_MEMBER"));
    }
    rows.push(json!({ "memberId": "not-an-id", "communityId": global_id("AdminUnit", qiyi.id) }));
    expected.push(Some("UNKNOWN_MEMBER"));
    for _ in 0..20 {
        rows.push(row(next(), qiyi_grids[0].id, None));
        expected.push(Some("UNKNOWN_COMMUNITY"));
        rows.push(row(next(), qiyi.id, Some(other_grid.id)));
        expected.push(Some("GRID_NOT_IN_COMMUNITY"));
    }
    let mut valid = Vec::new();
    while rows.len() < 980 {
        let member = next();
        let n = rows.len();
        let (community, grid) = if n % 2 == 0 {
            (qiyi.id, Some(qiyi_grids[n % qiyi_grids.len()].id))
        } else {
            (other.id, None)
        };
        valid.push(member);
        rows.push(row(member, community, grid));
        expected.push(None);
    }
    // Repeating a member of an applied row refuses the repeat only.
    for &member in valid.iter().take(20) {
        rows.push(row(member, qiyi.id, None));
        expected.push(Some("DUPLICATE_ROW"));
    }
    assert_eq!(rows.len(), 1_000);

    let client = app.client_token(unit_id, &[Scope::RegistrationsWrite]);
    let before = count_open(&app, unit_id).await;
    let statements = app.statements();
    let started = Instant::now();
    let data = app
        .query_as(
            Some(&client),
            BULK,
            json!({ "unit": global_id("Organization", unit_id), "rows": rows }),
        )
        .await;
    eprintln!(
        "bulkRegisterMembers of 1,000 rows on {:?}: {:?}, {} statements",
        app.backend,
        started.elapsed(),
        app.statements() - statements
    );
    let payload = &data["bulkRegisterMembers"];
    assert_eq!(payload["appliedCount"], valid.len());
    assert_eq!(payload["refusedCount"], 1_000 - valid.len());
    let results = payload["rows"].as_array().expect("rows");
    assert_eq!(results.len(), 1_000);
    for (index, (result, expected)) in results.iter().zip(&expected).enumerate() {
        assert_eq!(result["index"], index);
        match expected {
            Some(code) => {
                assert_eq!(
                    result["userErrors"][0]["code"], *code,
                    "row {index}: {result}"
                );
                assert_eq!(result["registration"], Value::Null);
            }
            None => {
                assert_eq!(result["userErrors"], json!([]), "row {index}: {result}");
                assert_eq!(result["registration"]["status"], "SUBMITTED");
                assert_eq!(result["registration"]["submittedBy"], "UNIT");
            }
        }
    }
    assert_eq!(
        results[registered.len()]["userErrors"][0]["field"],
        json!(["input", "rows", registered.len().to_string(), "memberId"])
    );
    assert_eq!(count_open(&app, unit_id).await, before + valid.len() as u64);
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("bulk_register_members"))
        .count(app.db())
        .await
        .expect("count audit records");
    assert_eq!(audited, valid.len() as u64);
    // Batched: the statement count does not grow with the rows.
    assert!(
        app.statements() - statements < 40,
        "{} statements",
        app.statements() - statements
    );

    // A call of more than 1,000 rows is refused as a whole, before anything is written.
    let too_many: Vec<Value> = (0..1_001).map(|_| row(valid[0], qiyi.id, None)).collect();
    let (_, errors) = app
        .errors(
            Some(&client),
            BULK,
            json!({ "unit": global_id("Organization", unit_id), "rows": too_many }),
        )
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "BAD_USER_INPUT");

    // Another unit's client may not register this unit's members.
    let stranger = app.client_token(outsiders[0].organization_id, &[Scope::RegistrationsWrite]);
    let (_, errors) = app
        .errors(
            Some(&stranger),
            BULK,
            json!({ "unit": global_id("Organization", unit_id), "rows": [] }),
        )
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "FORBIDDEN");
}

async fn a_retried_bulk_call_returns_its_first_result(app: TestApp) {
    let member = unregistered_members(&app, 1).await.remove(0);
    let qiyi = app.unit_by_code(QIYI).await;
    let client = app.client_token(member.organization_id, &[Scope::RegistrationsWrite]);
    let bulk = r#"mutation($unit: ID!, $rows: [BulkMemberRow!]!, $key: String) {
        bulkRegisterMembers(input: { unitId: $unit, rows: $rows, idempotencyKey: $key }) {
            appliedCount rows { registration { id } userErrors { code } }
        }
    }"#;
    let request = json!({
        "unit": global_id("Organization", member.organization_id),
        "rows": [{
            "memberId": global_id("PartyMember", member.id),
            "communityId": global_id("AdminUnit", qiyi.id),
        }],
        "key": "bulk-2026-q4",
    });
    let first = app.query_as(Some(&client), bulk, request.clone()).await;
    assert_eq!(first["bulkRegisterMembers"]["appliedCount"], 1);
    let retried = app.query_as(Some(&client), bulk, request.clone()).await;
    assert_eq!(retried, first, "a retry returns the first result");
    // Without the key the same rows are a new request, refused row by row.
    let again = app
        .query_as(
            Some(&client),
            bulk,
            json!({ "unit": request["unit"], "rows": request["rows"] }),
        )
        .await;
    assert_eq!(
        again["bulkRegisterMembers"]["rows"][0]["userErrors"][0]["code"],
        "ALREADY_REGISTERED"
    );
}

/// Six identical bulk calls with one idempotency key at the same moment, split between two
/// instances: the rows are registered once, and every caller gets that one result — none is
/// told to come back later.
async fn concurrent_calls_with_one_key_do_the_work_once(app: TestApp) {
    let second = app.another_instance().await;
    let unit = unregistered_members(&app, 1)
        .await
        .remove(0)
        .organization_id;
    let members = new_members(&app, unit, 200).await;
    let qiyi = app.unit_by_code(QIYI).await;
    let client = app.client_token(unit, &[Scope::RegistrationsWrite]);
    let bulk = r#"mutation($unit: ID!, $rows: [BulkMemberRow!]!, $key: String) {
        bulkRegisterMembers(input: { unitId: $unit, rows: $rows, idempotencyKey: $key }) {
            appliedCount refusedCount rows { registration { id } userErrors { code } }
        }
    }"#;
    let before = count_open(&app, unit).await;
    let request = json!({
        "unit": global_id("Organization", unit),
        "rows": members.iter().map(|&member| json!({
            "memberId": global_id("PartyMember", member),
            "communityId": global_id("AdminUnit", qiyi.id),
        })).collect::<Vec<_>>(),
        "key": "bulk-once",
    });
    let answers = join_all((0..6).map(|index| {
        let instance = if index % 2 == 0 { &app } else { &second };
        instance.query_as(Some(&client), bulk, request.clone())
    }))
    .await;
    assert_eq!(answers[0]["bulkRegisterMembers"]["appliedCount"], 200);
    for answer in &answers {
        assert_eq!(answer, &answers[0], "one result for every call");
    }
    assert_eq!(count_open(&app, unit).await, before + 200);
}

/// The unit's open (submitted or accepted) registrations, counted.
async fn count_open(app: &TestApp, unit_id: i64) -> u64 {
    member_registration::Entity::find()
        .filter(member_registration::Column::OrganizationId.eq(unit_id))
        .filter(member_registration::Column::Status.is_in([
            MemberRegistrationStatus::Submitted,
            MemberRegistrationStatus::Accepted,
        ]))
        .count(app.db())
        .await
        .expect("count registrations")
}

/// The audited actions on the member's registrations, each with the status it led to, in
/// order.
async fn audit_actions(app: &TestApp, member: &party_member::Model) -> Vec<(String, String)> {
    let registrations: Vec<i64> = member_registration::Entity::find()
        .filter(member_registration::Column::PartyMemberId.eq(member.id))
        .all(app.db())
        .await
        .expect("query registrations")
        .into_iter()
        .map(|registration| registration.id)
        .collect();
    audit_log::Entity::find()
        .filter(audit_log::Column::EntityType.eq("member_registration"))
        .filter(audit_log::Column::EntityId.is_in(registrations))
        .order_by_asc(audit_log::Column::Id)
        .all(app.db())
        .await
        .expect("query audit log")
        .into_iter()
        .map(|record| (record.action, record.to_state.unwrap_or_default()))
        .collect()
}
