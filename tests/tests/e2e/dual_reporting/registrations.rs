//! Dual reporting over HTTP: member registrations through every transition by role, one open
//! registration per member under concurrent submissions, transfers, and bulk registration.

use std::time::Instant;

use chrono::{DateTime, TimeZone, Utc};
use entities::admin_unit::{self, UnitLevel};
use entities::audit_log;
use entities::member_registration::SubmittedBy;
use entities::member_registration::{self, MemberRegistrationStatus};
use entities::organization;
use entities::post_claim::{self, PostClaimStatus};
use entities::service_record::{self, RecordStatus};
use entities::wish_claim::{self, ClaimStatus, ClaimantKind};
use entities::{micro_wish, service_post};
use entities::{party_member, person};
use futures::future::join_all;
use gongzhi::auth::Scope;
use gongzhi::graphql::ids::global_id;
use gongzhi_tests::{Role, TestApp, e2e};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

e2e!(
    a_member_registers_and_community_staff_accept,
    refused_registration_transitions_say_why,
    a_transfer_closes_the_old_registration_and_opens_the_new,
    concurrent_submissions_leave_one_open_registration,
    a_bulk_call_applies_valid_rows_and_reports_the_rest,
    concurrent_confirmations_never_exceed_a_posts_head_count,
    organisations_register_and_both_sides_review,
    a_quarterly_report_follows_the_unit_of_each_record,
    a_retried_bulk_call_returns_its_first_result,
    a_member_reads_their_own_record,
    statistics_roll_up_the_hierarchy,
    a_deregistered_member_leaves_the_communitys_posts,
);

/// 七一社区.
const QIYI: &str = "411002001001";

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

const DEREGISTER: &str = r#"mutation($id: ID!) {
    deregisterMember(input: { registrationId: $id }) {
        registration { status }
        userErrors { code }
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

const PUBLISH: &str = r#"mutation($community: ID!, $title: String!, $headCount: Int!) {
    publishServicePost(input: { communityId: $community, title: $title, headCount: $headCount }) {
        post { id title headCount status }
        userErrors { field code }
    }
}"#;

const APPLY: &str = r#"mutation($post: ID!) {
    applyForServicePost(input: { postId: $post }) {
        claim { id status }
        userErrors { field code }
    }
}"#;

const CONFIRM: &str = r#"mutation($claim: ID!) {
    confirmPostClaim(input: { claimId: $claim }) {
        claim { status decidedAt }
        userErrors { code }
    }
}"#;

const REJECT_CLAIM: &str = r#"mutation($claim: ID!) {
    rejectPostClaim(input: { claimId: $claim }) {
        claim { status }
        userErrors { code }
    }
}"#;

async fn concurrent_confirmations_never_exceed_a_posts_head_count(app: TestApp) {
    let qiyi = app.unit_by_code(QIYI).await;
    let other = other_community(&app, qiyi.id).await;
    let community = global_id("AdminUnit", qiyi.id);
    let staff = app.staff_token(Role::CommunityStaff, QIYI).await;

    let elsewhere = app.staff_token(Role::CommunityStaff, &other.code).await;
    let data = app
        .query_as(
            Some(&elsewhere),
            PUBLISH,
            json!({ "community": community, "title": "楼栋长", "headCount": 2 }),
        )
        .await;
    assert_eq!(
        data["publishServicePost"]["userErrors"][0]["code"],
        "NOT_COMMUNITY_STAFF"
    );
    let data = app
        .query_as(
            Some(&staff),
            PUBLISH,
            json!({ "community": community, "title": "楼栋长", "headCount": 0 }),
        )
        .await;
    assert_eq!(
        data["publishServicePost"]["userErrors"][0],
        json!({ "field": ["input", "headCount"], "code": "INVALID_HEAD_COUNT" })
    );
    let data = app
        .query_as(
            Some(&staff),
            PUBLISH,
            json!({ "community": community, "title": "楼栋长", "headCount": 2 }),
        )
        .await;
    assert_eq!(data["publishServicePost"]["userErrors"], json!([]));
    assert_eq!(data["publishServicePost"]["post"]["status"], "OPEN");
    let post = data["publishServicePost"]["post"]["id"].clone();

    // A member registered here applies, once; a member registered elsewhere may not.
    let registered = member_registration::Entity::find()
        .filter(member_registration::Column::CommunityId.eq(qiyi.id))
        .filter(member_registration::Column::Status.eq(MemberRegistrationStatus::Accepted))
        .one(app.db())
        .await
        .expect("query registrations")
        .expect("七一 has an accepted registration");
    let resident = party_member::Entity::find_by_id(registered.party_member_id)
        .one(app.db())
        .await
        .expect("query members")
        .expect("the member");
    let resident_token = app.person_token(resident.person_id);
    let data = app
        .query_as(Some(&resident_token), APPLY, json!({ "post": post }))
        .await;
    assert_eq!(data["applyForServicePost"]["userErrors"], json!([]));
    assert_eq!(data["applyForServicePost"]["claim"]["status"], "APPLIED");
    let data = app
        .query_as(Some(&resident_token), APPLY, json!({ "post": post }))
        .await;
    assert_eq!(
        data["applyForServicePost"]["userErrors"][0],
        json!({ "field": ["input", "postId"], "code": "ALREADY_APPLIED" })
    );
    let stranger = unregistered_members(&app, 1).await.remove(0);
    let data = app
        .query_as(
            Some(&app.person_token(stranger.person_id)),
            APPLY,
            json!({ "post": post }),
        )
        .await;
    assert_eq!(
        data["applyForServicePost"]["userErrors"][0]["code"],
        "NOT_REGISTERED_HERE"
    );

    // Nine more applications, then ten confirmations at once: two holders, eight refusals.
    let post_id = post_claim::Entity::find()
        .filter(post_claim::Column::PartyMemberId.eq(resident.id))
        .filter(post_claim::Column::Status.eq(PostClaimStatus::Applied))
        .one(app.db())
        .await
        .expect("query claims")
        .expect("the application")
        .post_id;
    let others = party_member::Entity::find()
        .filter(party_member::Column::Id.ne(resident.id))
        .order_by_asc(party_member::Column::Id)
        .all(app.db())
        .await
        .expect("query members");
    post_claim::Entity::insert_many(others.iter().take(9).map(|member| post_claim::ActiveModel {
        post_id: Set(post_id),
        party_member_id: Set(member.id),
        status: Set(PostClaimStatus::Applied),
        created_at: Set(Utc::now()),
        ..Default::default()
    }))
    .exec(app.db())
    .await
    .expect("insert applications");
    let claims: Vec<i64> = post_claim::Entity::find()
        .filter(post_claim::Column::PostId.eq(post_id))
        .order_by_asc(post_claim::Column::Id)
        .all(app.db())
        .await
        .expect("query claims")
        .into_iter()
        .map(|claim| claim.id)
        .collect();
    assert_eq!(claims.len(), 10);
    let responses = join_all(claims.iter().map(|&claim| {
        app.query_as(
            Some(&staff),
            CONFIRM,
            json!({ "claim": global_id("PostClaim", claim) }),
        )
    }))
    .await;
    let codes: Vec<Value> = responses
        .iter()
        .map(|data| data["confirmPostClaim"]["userErrors"][0]["code"].clone())
        .collect();
    let confirmed = codes.iter().filter(|code| code.is_null()).count();
    let full = codes.iter().filter(|code| **code == "POST_FULL").count();
    assert_eq!((confirmed, full), (2, 8), "codes: {codes:?}");
    let holders = post_claim::Entity::find()
        .filter(post_claim::Column::PostId.eq(post_id))
        .filter(post_claim::Column::Status.eq(PostClaimStatus::Confirmed))
        .count(app.db())
        .await
        .expect("count holders");
    assert_eq!(holders, 2);

    // Staff reject a waiting application; a decided one is not decided again.
    let waiting = responses
        .iter()
        .position(|data| data["confirmPostClaim"]["userErrors"][0]["code"] == "POST_FULL")
        .expect("a refused confirmation");
    let held = responses
        .iter()
        .position(|data| data["confirmPostClaim"]["userErrors"] == json!([]))
        .expect("a confirmation");
    let data = app
        .query_as(
            Some(&staff),
            REJECT_CLAIM,
            json!({ "claim": global_id("PostClaim", claims[waiting]) }),
        )
        .await;
    assert_eq!(
        data["rejectPostClaim"],
        json!({ "claim": { "status": "REJECTED" }, "userErrors": [] })
    );
    let data = app
        .query_as(
            Some(&staff),
            REJECT_CLAIM,
            json!({ "claim": global_id("PostClaim", claims[held]) }),
        )
        .await;
    assert_eq!(
        data["rejectPostClaim"]["userErrors"][0]["code"],
        "NOT_APPLIED"
    );

    // An applicant withdraws their own waiting application, nobody else's, and only once.
    let claim_of = |index: usize| global_id("PostClaim", claims[index]);
    let waiting: Vec<usize> = (0..claims.len())
        .filter(|&index| {
            index != held
                && responses[index]["confirmPostClaim"]["userErrors"][0]["code"] == "POST_FULL"
                && index != waiting
        })
        .collect();
    let (first, second) = (waiting[0], waiting[1]);
    let data = app
        .query_as(
            Some(&staff),
            WITHDRAW_CLAIM,
            json!({ "claim": claim_of(first) }),
        )
        .await;
    assert_eq!(
        data["withdrawPostClaim"]["userErrors"][0]["code"],
        "NOT_CLAIMANT"
    );
    // Another applicant does not see the claim at all.
    let (_, errors) = app
        .errors(
            Some(&claimant_token(&app, claims[second]).await),
            WITHDRAW_CLAIM,
            json!({ "claim": claim_of(first) }),
        )
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND");
    let own = claimant_token(&app, claims[first]).await;
    let data = app
        .query_as(
            Some(&own),
            WITHDRAW_CLAIM,
            json!({ "claim": claim_of(first) }),
        )
        .await;
    assert_eq!(data["withdrawPostClaim"]["userErrors"], json!([]));
    assert_eq!(data["withdrawPostClaim"]["claim"]["status"], "WITHDRAWN");
    assert!(data["withdrawPostClaim"]["claim"]["closedAt"].is_string());
    let data = app
        .query_as(
            Some(&own),
            WITHDRAW_CLAIM,
            json!({ "claim": claim_of(first) }),
        )
        .await;
    assert_eq!(
        data["withdrawPostClaim"]["userErrors"][0],
        json!({ "field": ["input", "claimId"], "code": "NOT_APPLIED" })
    );

    // Ending a holding frees its place: the next confirmation succeeds, the one after is full.
    let data = app
        .query_as(
            Some(&staff),
            END_CLAIM,
            json!({ "claim": claim_of(second) }),
        )
        .await;
    assert_eq!(
        data["endPostClaim"]["userErrors"][0],
        json!({ "field": ["input", "claimId"], "code": "NOT_HELD" })
    );
    // Another community's staff do not see the claim at all.
    let (_, errors) = app
        .errors(
            Some(&elsewhere),
            END_CLAIM,
            json!({ "claim": claim_of(held) }),
        )
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND");
    let data = app
        .query_as(Some(&staff), END_CLAIM, json!({ "claim": claim_of(held) }))
        .await;
    assert_eq!(data["endPostClaim"]["userErrors"], json!([]));
    assert_eq!(data["endPostClaim"]["claim"]["status"], "ENDED");
    let data = app
        .query_as(Some(&staff), CONFIRM, json!({ "claim": claim_of(second) }))
        .await;
    assert_eq!(data["confirmPostClaim"]["userErrors"], json!([]));
    let data = app
        .query_as(
            Some(&staff),
            CONFIRM,
            json!({ "claim": claim_of(waiting[2]) }),
        )
        .await;
    assert_eq!(
        data["confirmPostClaim"]["userErrors"][0]["code"],
        "POST_FULL"
    );
    // A holder gives the post up themself.
    let data = app
        .query_as(
            Some(&claimant_token(&app, claims[second]).await),
            END_CLAIM,
            json!({ "claim": claim_of(second) }),
        )
        .await;
    assert_eq!(data["endPostClaim"]["claim"]["status"], "ENDED");

    // Closing a post stops applications; only its community's staff close it, once.
    let data = app
        .query_as(Some(&resident_token), CLOSE_POST, json!({ "post": post }))
        .await;
    assert_eq!(
        data["closeServicePost"]["userErrors"][0]["code"],
        "NOT_COMMUNITY_STAFF"
    );
    let data = app
        .query_as(Some(&staff), CLOSE_POST, json!({ "post": post }))
        .await;
    assert_eq!(
        data["closeServicePost"],
        json!({ "post": { "status": "CLOSED" }, "userErrors": [] })
    );
    let data = app
        .query_as(Some(&staff), CLOSE_POST, json!({ "post": post }))
        .await;
    assert_eq!(
        data["closeServicePost"]["userErrors"][0],
        json!({ "field": ["input", "postId"], "code": "POST_CLOSED" })
    );
    let data = app
        .query_as(Some(&resident_token), APPLY, json!({ "post": post }))
        .await;
    assert_eq!(
        data["applyForServicePost"]["userErrors"][0]["code"],
        "POST_CLOSED"
    );
    let closings: Vec<String> = audit_log::Entity::find()
        .filter(audit_log::Column::EntityType.eq("post_claim"))
        .filter(audit_log::Column::EntityId.is_in(claims.clone()))
        .filter(audit_log::Column::Action.is_in(["withdraw_post_claim", "end_post_claim"]))
        .all(app.db())
        .await
        .expect("query audit log")
        .into_iter()
        .map(|record| record.action)
        .collect();
    assert_eq!(closings.len(), 3, "{closings:?}");
}

const WITHDRAW_CLAIM: &str = r#"mutation($claim: ID!) {
    withdrawPostClaim(input: { claimId: $claim }) {
        claim { status closedAt } userErrors { field code }
    }
}"#;

const END_CLAIM: &str = r#"mutation($claim: ID!) {
    endPostClaim(input: { claimId: $claim }) {
        claim { status closedAt } userErrors { field code }
    }
}"#;

const CLOSE_POST: &str = r#"mutation($post: ID!) {
    closeServicePost(input: { postId: $post }) {
        post { status } userErrors { field code }
    }
}"#;

const REGISTER_ORG: &str = r#"mutation($org: ID!, $community: ID!, $offers: String!) {
    registerOrganization(input: { organizationId: $org, communityId: $community,
        offers: $offers, needs: "活动场地", projects: "共建红色驿站" }) {
        registration { id status year offers }
        userErrors { field code }
    }
}"#;

const DECIDE_ORG: &str = r#"mutation($id: ID!, $note: String) {
    accepted: acceptOrgRegistration(input: { registrationId: $id, note: $note }) {
        registration { status } userErrors { code }
    }
}"#;

const RETURN_ORG: &str = r#"mutation($id: ID!, $note: String) {
    returnOrgRegistration(input: { registrationId: $id, note: $note }) {
        registration { status reviewNote } userErrors { field code }
    }
}"#;

const REVIEW_ORG: &str = r#"mutation($id: ID!, $rating: Int!, $note: String) {
    reviewOrgRegistration(input: { registrationId: $id, rating: $rating, note: $note }) {
        registration { communityRating organizationRating reviewNote reviewedAt }
        userErrors { field code }
    }
}"#;

async fn organisations_register_and_both_sides_review(app: TestApp) {
    let qiyi = app.unit_by_code(QIYI).await;
    let community = global_id("AdminUnit", qiyi.id);
    let registered_here: Vec<i64> = entities::org_registration::Entity::find()
        .filter(entities::org_registration::Column::CommunityId.eq(qiyi.id))
        .all(app.db())
        .await
        .expect("query registrations")
        .into_iter()
        .map(|registration| registration.organization_id)
        .collect();
    let organizations = organization::Entity::find()
        .filter(organization::Column::Id.is_not_in(registered_here))
        .order_by_asc(organization::Column::Id)
        .all(app.db())
        .await
        .expect("query organisations");
    let [org, other_org] = [&organizations[0], &organizations[1]];
    let client = app.client_token(
        org.id,
        &[Scope::RegistrationsRead, Scope::RegistrationsWrite],
    );
    let org_id = global_id("Organization", org.id);

    for (variables, code) in [
        (
            json!({ "org": global_id("Organization", other_org.id), "community": community, "offers": "志愿者" }),
            "NOT_ORGANIZATION",
        ),
        (
            json!({ "org": org_id, "community": community, "offers": " " }),
            "OFFERS_REQUIRED",
        ),
        (
            json!({ "org": org_id, "community": global_id("AdminUnit", grids_of(&app, qiyi.id).await[0].id), "offers": "志愿者" }),
            "UNKNOWN_COMMUNITY",
        ),
    ] {
        let data = app.query_as(Some(&client), REGISTER_ORG, variables).await;
        assert_eq!(
            data["registerOrganization"]["userErrors"][0]["code"], code,
            "{data}"
        );
    }
    let register = json!({ "org": org_id, "community": community, "offers": "志愿者、会议室" });
    let data = app
        .query_as(Some(&client), REGISTER_ORG, register.clone())
        .await;
    assert_eq!(data["registerOrganization"]["userErrors"], json!([]));
    assert_eq!(
        data["registerOrganization"]["registration"]["status"],
        "SUBMITTED"
    );
    let id = data["registerOrganization"]["registration"]["id"].clone();
    let data = app
        .query_as(Some(&client), REGISTER_ORG, register.clone())
        .await;
    assert_eq!(
        data["registerOrganization"]["userErrors"][0],
        json!({ "field": ["input", "communityId"], "code": "ALREADY_REGISTERED" })
    );

    // Only the community decides; a return needs a note and lets the organisation try again.
    let staff = app.staff_token(Role::CommunityStaff, QIYI).await;
    let data = app
        .query_as(Some(&client), DECIDE_ORG, json!({ "id": id }))
        .await;
    assert_eq!(
        data["accepted"]["userErrors"][0]["code"],
        "NOT_COMMUNITY_STAFF"
    );
    let data = app
        .query_as(Some(&staff), REVIEW_ORG, json!({ "id": id, "rating": 4 }))
        .await;
    assert_eq!(
        data["reviewOrgRegistration"]["userErrors"][0]["code"],
        "NOT_ACCEPTED"
    );
    let data = app
        .query_as(Some(&staff), RETURN_ORG, json!({ "id": id }))
        .await;
    assert_eq!(
        data["returnOrgRegistration"]["userErrors"][0],
        json!({ "field": ["input", "note"], "code": "NOTE_REQUIRED" })
    );
    let data = app
        .query_as(
            Some(&staff),
            RETURN_ORG,
            json!({ "id": id, "note": "请补充共建项目" }),
        )
        .await;
    assert_eq!(
        data["returnOrgRegistration"],
        json!({ "registration": { "status": "RETURNED", "reviewNote": "请补充共建项目" }, "userErrors": [] })
    );
    let data = app.query_as(Some(&client), REGISTER_ORG, register).await;
    assert_eq!(data["registerOrganization"]["userErrors"], json!([]));
    let id = data["registerOrganization"]["registration"]["id"].clone();
    let data = app
        .query_as(Some(&staff), DECIDE_ORG, json!({ "id": id }))
        .await;
    assert_eq!(
        data["accepted"],
        json!({ "registration": { "status": "ACCEPTED" }, "userErrors": [] })
    );

    // The yearly review: each side rates the other once, from 1 to 5.
    let data = app
        .query_as(Some(&staff), REVIEW_ORG, json!({ "id": id, "rating": 6 }))
        .await;
    assert_eq!(
        data["reviewOrgRegistration"]["userErrors"][0],
        json!({ "field": ["input", "rating"], "code": "RATING_OUT_OF_RANGE" })
    );
    let data = app
        .query_as(
            Some(&staff),
            REVIEW_ORG,
            json!({ "id": id, "rating": 4, "note": "共建积极" }),
        )
        .await;
    let reviewed = &data["reviewOrgRegistration"]["registration"];
    assert_eq!(
        (
            reviewed["communityRating"].clone(),
            reviewed["organizationRating"].clone()
        ),
        (json!(4), Value::Null)
    );
    assert_eq!(reviewed["reviewNote"], "共建积极");
    assert!(reviewed["reviewedAt"].is_string());
    let data = app
        .query_as(Some(&staff), REVIEW_ORG, json!({ "id": id, "rating": 5 }))
        .await;
    assert_eq!(
        data["reviewOrgRegistration"]["userErrors"][0]["code"],
        "ALREADY_REVIEWED"
    );
    let data = app
        .query_as(Some(&client), REVIEW_ORG, json!({ "id": id, "rating": 5 }))
        .await;
    assert_eq!(data["reviewOrgRegistration"]["userErrors"], json!([]));
    assert_eq!(
        data["reviewOrgRegistration"]["registration"]["organizationRating"],
        5
    );
    assert_eq!(
        data["reviewOrgRegistration"]["registration"]["communityRating"],
        4
    );

    // Only the organisation withdraws, and only an open registration; then it may register
    // again.
    let data = app
        .query_as(Some(&staff), WITHDRAW_ORG, json!({ "id": id }))
        .await;
    assert_eq!(
        data["withdrawOrgRegistration"]["userErrors"][0]["code"],
        "NOT_ORGANIZATION"
    );
    let data = app
        .query_as(Some(&client), WITHDRAW_ORG, json!({ "id": id }))
        .await;
    assert_eq!(
        data["withdrawOrgRegistration"],
        json!({ "registration": { "status": "WITHDRAWN" }, "userErrors": [] })
    );
    let data = app
        .query_as(Some(&client), WITHDRAW_ORG, json!({ "id": id }))
        .await;
    assert_eq!(
        data["withdrawOrgRegistration"]["userErrors"][0],
        json!({ "field": ["input", "registrationId"], "code": "NOT_OPEN" })
    );
    let data = app
        .query_as(
            Some(&client),
            REGISTER_ORG,
            json!({ "org": org_id, "community": community, "offers": "志愿者" }),
        )
        .await;
    assert_eq!(data["registerOrganization"]["userErrors"], json!([]));
}

const WITHDRAW_ORG: &str = r#"mutation($id: ID!) {
    withdrawOrgRegistration(input: { registrationId: $id }) {
        registration { status } userErrors { field code }
    }
}"#;

const GENERATE: &str = r#"mutation($community: ID!, $unit: ID!, $year: Int!, $quarter: Int!, $ratings: [MemberRatingInput!]! = []) {
    generateFeedbackReport(input: { communityId: $community, unitId: $unit, year: $year,
        quarter: $quarter, ratings: $ratings }) {
        report { id status year quarter content csv }
        userErrors { field code }
    }
}"#;

const SIGN: &str = r#"mutation($id: ID!) { signFeedbackReport(input: { reportId: $id }) {
    report { status signedAt } userErrors { code } } }"#;
const SEND: &str = r#"mutation($id: ID!) { sendFeedbackReport(input: { reportId: $id }) {
    report { status sentAt } userErrors { code } } }"#;
const ACKNOWLEDGE: &str = r#"mutation($id: ID!) { acknowledgeFeedbackReport(input: { reportId: $id }) {
    report { status acknowledgedAt } userErrors { code } } }"#;

/// An instant in 2020, China Standard Time.
fn cst(month: u32, day: u32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(8 * 3600)
        .expect("UTC+8")
        .with_ymd_and_hms(2020, month, day, 9, 0, 0)
        .single()
        .expect("a valid date")
        .with_timezone(&Utc)
}

async fn a_quarterly_report_follows_the_unit_of_each_record(app: TestApp) {
    let qiyi = app.unit_by_code(QIYI).await;
    let grid = grids_of(&app, qiyi.id).await.remove(0);
    let units = organization::Entity::find()
        .filter(organization::Column::Kind.eq(organization::OrganizationKind::PartyUnit))
        .order_by_asc(organization::Column::Id)
        .all(app.db())
        .await
        .expect("query organisations");
    let [old_unit, new_unit] = [&units[0], &units[1]];
    let member_id = new_members(&app, old_unit.id, 1).await[0];
    let member = party_member::Entity::find_by_id(member_id)
        .one(app.db())
        .await
        .expect("query members")
        .expect("the member");

    // In Q2 2020 the member changed jobs on 15 May: registered for the old unit until then,
    // for the new one after.
    let registration = |unit: i64, status, decided: DateTime<Utc>, closed: DateTime<Utc>| {
        member_registration::ActiveModel {
            party_member_id: Set(member.id),
            community_id: Set(qiyi.id),
            grid_id: Set(Some(grid.id)),
            organization_id: Set(unit),
            status: Set(status),
            submitted_by: Set(SubmittedBy::Unit),
            decided_at: Set(Some(decided)),
            created_at: Set(decided),
            updated_at: Set(closed),
            ..Default::default()
        }
    };
    member_registration::Entity::insert_many([
        registration(
            old_unit.id,
            MemberRegistrationStatus::Deregistered,
            cst(3, 1),
            cst(5, 15),
        ),
        registration(
            new_unit.id,
            MemberRegistrationStatus::Accepted,
            cst(5, 15),
            cst(5, 15),
        ),
    ])
    .exec(app.db())
    .await
    .expect("insert registrations");
    let record =
        |unit: i64, started: DateTime<Utc>, minutes: i32, status| service_record::ActiveModel {
            person_id: Set(member.person_id),
            organization_id: Set(unit),
            member_unit_id: Set(Some(unit)),
            community_id: Set(qiyi.id),
            started_at: Set(started),
            ended_at: Set(started + chrono::TimeDelta::minutes(minutes.into())),
            minutes: Set(minutes),
            status: Set(status),
            created_at: Set(started),
            ..Default::default()
        };
    service_record::Entity::insert_many([
        record(old_unit.id, cst(4, 10), 120, RecordStatus::Confirmed),
        record(old_unit.id, cst(5, 1), 60, RecordStatus::Confirmed),
        record(new_unit.id, cst(6, 1), 90, RecordStatus::Confirmed),
        // Neither counts: one is not confirmed, one is in the next quarter.
        record(new_unit.id, cst(6, 2), 45, RecordStatus::Pending),
        record(new_unit.id, cst(7, 2), 30, RecordStatus::Confirmed),
    ])
    .exec(app.db())
    .await
    .expect("insert service records");
    let wish = micro_wish::Entity::find()
        .filter(micro_wish::Column::CommunityId.eq(qiyi.id))
        .one(app.db())
        .await
        .expect("query wishes")
        .expect("a wish in 七一");
    wish_claim::Entity::insert(wish_claim::ActiveModel {
        wish_id: Set(wish.id),
        claimant_kind: Set(ClaimantKind::PartyMember),
        claimant_person_id: Set(Some(member.person_id)),
        status: Set(ClaimStatus::Fulfilled),
        due_at: Set(cst(6, 30)),
        closed_at: Set(Some(cst(6, 10))),
        created_at: Set(cst(6, 1)),
        updated_at: Set(cst(6, 10)),
        ..Default::default()
    })
    .exec(app.db())
    .await
    .expect("insert a fulfilled claim");
    let post = service_post::Entity::find()
        .filter(service_post::Column::CommunityId.eq(qiyi.id))
        .one(app.db())
        .await
        .expect("query posts")
        .expect("a post in 七一");
    post_claim::Entity::insert(post_claim::ActiveModel {
        post_id: Set(post.id),
        party_member_id: Set(member.id),
        status: Set(PostClaimStatus::Confirmed),
        decided_at: Set(Some(cst(4, 20))),
        created_at: Set(cst(4, 18)),
        ..Default::default()
    })
    .exec(app.db())
    .await
    .expect("insert a post claim");

    let staff = app.staff_token(Role::CommunityStaff, QIYI).await;
    let community = global_id("AdminUnit", qiyi.id);
    let member_gid = global_id("PartyMember", member.id);
    let generate = |unit: i64, ratings: Value| {
        json!({ "community": community, "unit": global_id("Organization", unit),
                "year": 2020, "quarter": 2, "ratings": ratings })
    };
    let line_of = |data: &Value| {
        data["generateFeedbackReport"]["report"]["content"]["members"]
            .as_array()
            .expect("members")
            .iter()
            .find(|line| line["memberId"] == member.id)
            .cloned()
            .expect("the member's line")
    };

    let old = app
        .query_as(
            Some(&staff),
            GENERATE,
            generate(
                old_unit.id,
                json!([{ "memberId": member_gid, "rating": 5 }]),
            ),
        )
        .await;
    assert_eq!(old["generateFeedbackReport"]["userErrors"], json!([]));
    let line = line_of(&old);
    assert_eq!(
        [
            &line["serviceMinutes"],
            &line["serviceRecords"],
            &line["realisedWishes"],
            &line["postsHeld"],
            &line["rating"]
        ],
        [&json!(180), &json!(2), &json!(0), &json!(1), &json!(5)]
    );
    assert!(
        line["name"].as_str().expect("a name").ends_with('*'),
        "names are masked"
    );
    let new = app
        .query_as(Some(&staff), GENERATE, generate(new_unit.id, json!([])))
        .await;
    let line = line_of(&new);
    assert_eq!(
        [
            &line["serviceMinutes"],
            &line["serviceRecords"],
            &line["realisedWishes"],
            &line["postsHeld"],
            &line["rating"]
        ],
        [&json!(90), &json!(1), &json!(1), &json!(1), &Value::Null]
    );
    let csv = new["generateFeedbackReport"]["report"]["csv"]
        .as_str()
        .expect("csv");
    assert!(csv.starts_with("member_id,name,service_hours,"));
    assert!(
        csv.lines()
            .any(|row| row.starts_with(&format!("{},", member.id)) && row.contains(",1.50,1,1,1,")),
        "{csv}"
    );

    // Refusals: the same period again, a period not yet ended, a quarter out of range, a
    // rating of someone not in the report, and a caller who is not the community's staff.
    for (variables, code) in [
        (generate(old_unit.id, json!([])), "ALREADY_GENERATED"),
        (
            json!({ "community": community, "unit": global_id("Organization", old_unit.id), "year": 2099, "quarter": 1 }),
            "INVALID_PERIOD",
        ),
        (
            json!({ "community": community, "unit": global_id("Organization", old_unit.id), "year": 2021, "quarter": 5 }),
            "INVALID_PERIOD",
        ),
        (
            json!({ "community": community, "unit": global_id("Organization", units[2].id), "year": 2020, "quarter": 2,
                    "ratings": [{ "memberId": member_gid, "rating": 4 }] }),
            "MEMBER_NOT_IN_REPORT",
        ),
    ] {
        let data = app.query_as(Some(&staff), GENERATE, variables).await;
        assert_eq!(
            data["generateFeedbackReport"]["userErrors"][0]["code"], code,
            "{data}"
        );
    }
    let unit_client = app.client_token(
        old_unit.id,
        &[Scope::RegistrationsRead, Scope::RegistrationsWrite],
    );
    let data = app
        .query_as(
            Some(&unit_client),
            GENERATE,
            generate(old_unit.id, json!([])),
        )
        .await;
    assert_eq!(
        data["generateFeedbackReport"]["userErrors"][0]["code"],
        "NOT_COMMUNITY_STAFF"
    );

    // generated → signed → sent → acknowledged, each step by its side and in its turn.
    let id = json!({ "id": old["generateFeedbackReport"]["report"]["id"] });
    let data = app.query_as(Some(&unit_client), SIGN, id.clone()).await;
    assert_eq!(
        data["signFeedbackReport"]["userErrors"][0]["code"],
        "NOT_COMMUNITY_STAFF"
    );
    let data = app.query_as(Some(&staff), SEND, id.clone()).await;
    assert_eq!(
        data["sendFeedbackReport"]["userErrors"][0]["code"],
        "WRONG_STATE"
    );
    let data = app.query_as(Some(&staff), SIGN, id.clone()).await;
    assert_eq!(data["signFeedbackReport"]["report"]["status"], "SIGNED");
    let data = app.query_as(Some(&staff), ACKNOWLEDGE, id.clone()).await;
    assert_eq!(
        data["acknowledgeFeedbackReport"]["userErrors"][0]["code"],
        "NOT_UNIT"
    );
    let data = app.query_as(Some(&staff), SEND, id.clone()).await;
    assert_eq!(data["sendFeedbackReport"]["report"]["status"], "SENT");
    let data = app
        .query_as(Some(&unit_client), ACKNOWLEDGE, id.clone())
        .await;
    assert_eq!(data["acknowledgeFeedbackReport"]["userErrors"], json!([]));
    assert_eq!(
        data["acknowledgeFeedbackReport"]["report"]["status"],
        "ACKNOWLEDGED"
    );

    // The demo's summary reports download as one line per figure.
    let seeded = entities::feedback_report::Entity::find()
        .one(app.db())
        .await
        .expect("query reports")
        .expect("the demo district has reports");
    let reader = app.client_token(seeded.organization_id, &[Scope::RegistrationsRead]);
    let data = app
        .query_as(
            Some(&reader),
            r#"query($id: ID!) { node(id: $id) { ... on FeedbackReport { csv } } }"#,
            json!({ "id": global_id("FeedbackReport", seeded.id) }),
        )
        .await;
    let csv = data["node"]["csv"].as_str().expect("csv");
    assert!(csv.starts_with("field,value\n"), "{csv}");
    assert!(csv.contains("\nserviceHours,"), "{csv}");
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

const ME: &str = r#"{
    me {
        name
        partyMember {
            unit { id }
            registrations { status community { id } }
            postClaims { status post { id } }
            selfReports { year half }
        }
    }
}"#;

async fn a_member_reads_their_own_record(app: TestApp) {
    let registration = member_registration::Entity::find()
        .filter(member_registration::Column::Status.eq(MemberRegistrationStatus::Accepted))
        .order_by_asc(member_registration::Column::Id)
        .one(app.db())
        .await
        .expect("query registrations")
        .expect("the demo district has an accepted registration");
    let member = party_member::Entity::find_by_id(registration.party_member_id)
        .one(app.db())
        .await
        .expect("query members")
        .expect("the member");
    let person = person::Entity::find_by_id(member.person_id)
        .one(app.db())
        .await
        .expect("query people")
        .expect("the person");
    let registrations = member_registration::Entity::find()
        .filter(member_registration::Column::PartyMemberId.eq(member.id))
        .order_by_asc(member_registration::Column::Id)
        .all(app.db())
        .await
        .expect("query registrations");
    let claims = post_claim::Entity::find()
        .filter(post_claim::Column::PartyMemberId.eq(member.id))
        .order_by_asc(post_claim::Column::Id)
        .all(app.db())
        .await
        .expect("query claims");

    // The member sees their own record whole: name unmasked, every registration and claim.
    let data = app
        .query_as(Some(&app.person_token(person.id)), ME, json!({}))
        .await;
    let me = &data["me"];
    assert_eq!(me["name"], person.name);
    let own = &me["partyMember"];
    assert_eq!(
        own["unit"]["id"],
        json!(global_id("Organization", member.organization_id))
    );
    let expected: Vec<Value> = registrations
        .iter()
        .map(|registration| {
            json!({
                "status": serde_json::to_value(registration.status)
                    .expect("a status")
                    .as_str()
                    .expect("a string")
                    .to_uppercase(),
                "community": { "id": global_id("AdminUnit", registration.community_id) },
            })
        })
        .collect();
    assert_eq!(own["registrations"], json!(expected));
    let expected: Vec<Value> = claims
        .iter()
        .map(|claim| {
            json!({
                "status": serde_json::to_value(claim.status)
                    .expect("a status")
                    .as_str()
                    .expect("a string")
                    .to_uppercase(),
                "post": { "id": global_id("ServicePost", claim.post_id) },
            })
        })
        .collect();
    assert_eq!(own["postClaims"], json!(expected));
    assert!(own["selfReports"].is_array());

    // Partner clients and anonymous callers are nobody in particular.
    let client = app.client_token(member.organization_id, &[Scope::RegistrationsRead]);
    let data = app.query_as(Some(&client), ME, json!({})).await;
    assert_eq!(data["me"], Value::Null);
    let data = app.query_as(None, ME, json!({})).await;
    assert_eq!(data["me"], Value::Null);
}

const STATISTICS: &str = r#"query($codes: [String!]!) {
    units: adminUnits(filter: { codes: $codes }, first: 10) {
        nodes {
            code
            registrationStatistics {
                registeredMembers
                memberRegistrationsByStatus { status count }
                registeredOrganizations
                orgRegistrationsByStatus { status count }
                openPosts
                openPostPlaces
                postHolders
                memberServiceMinutes
                memberServiceRecords
                servingMembers
            }
        }
    }
}"#;

async fn statistics_roll_up_the_hierarchy(app: TestApp) {
    let qiyi = app.unit_by_code(QIYI).await;
    let sub_district = unit_by_id(&app, qiyi.parent_id.expect("a community's sub-district")).await;
    let district = unit_by_id(
        &app,
        sub_district.parent_id.expect("a sub-district's district"),
    )
    .await;
    let units = [&district, &sub_district, &qiyi];

    let communities = admin_unit::Entity::find()
        .filter(admin_unit::Column::Level.eq(UnitLevel::Community))
        .all(app.db())
        .await
        .expect("query units");
    let members = member_registration::Entity::find()
        .all(app.db())
        .await
        .expect("query registrations");
    let organizations = entities::org_registration::Entity::find()
        .all(app.db())
        .await
        .expect("query registrations");
    let posts = service_post::Entity::find()
        .all(app.db())
        .await
        .expect("query posts");
    let claims = post_claim::Entity::find()
        .filter(post_claim::Column::Status.eq(PostClaimStatus::Confirmed))
        .all(app.db())
        .await
        .expect("query claims");
    let records = service_record::Entity::find()
        .filter(service_record::Column::Status.eq(RecordStatus::Confirmed))
        .filter(service_record::Column::MemberUnitId.is_not_null())
        .all(app.db())
        .await
        .expect("query records");

    // The demo district has some of everything, so no figure is compared as 0 = 0 alone.
    assert!(!records.is_empty() && !claims.is_empty() && !organizations.is_empty());
    assert!(
        posts
            .iter()
            .any(|post| post.status == entities::service_post::PostStatus::Open)
    );

    let before = app.statements();
    let data = app
        .query_as(
            None,
            STATISTICS,
            json!({ "codes": units.iter().map(|unit| unit.code.clone()).collect::<Vec<_>>() }),
        )
        .await;
    let three_units = app.statements() - before;
    let nodes = data["units"]["nodes"].as_array().expect("units");
    assert_eq!(nodes.len(), 3);
    for unit in units {
        let within: Vec<i64> = communities
            .iter()
            .filter(|community| community.path.starts_with(&unit.path))
            .map(|community| community.id)
            .collect();
        let statistics = &nodes
            .iter()
            .find(|node| node["code"] == unit.code.as_str())
            .expect("the unit's figures")["registrationStatistics"];
        let here: Vec<&member_registration::Model> = members
            .iter()
            .filter(|registration| within.contains(&registration.community_id))
            .collect();
        let accepted = here
            .iter()
            .filter(|registration| registration.status == MemberRegistrationStatus::Accepted)
            .count();
        assert!(accepted > 0, "{} has registered members", unit.code);
        assert_eq!(statistics["registeredMembers"], accepted, "{}", unit.code);
        let by_status: u64 = statistics["memberRegistrationsByStatus"]
            .as_array()
            .expect("counts")
            .iter()
            .map(|count| count["count"].as_u64().expect("a count"))
            .sum();
        assert_eq!(by_status, here.len() as u64);
        let organizations_here: Vec<_> = organizations
            .iter()
            .filter(|registration| within.contains(&registration.community_id))
            .collect();
        let accepted = organizations_here
            .iter()
            .filter(|registration| {
                registration.status == entities::org_registration::OrgRegistrationStatus::Accepted
            })
            .count();
        assert_eq!(statistics["registeredOrganizations"], accepted);
        let by_status: u64 = statistics["orgRegistrationsByStatus"]
            .as_array()
            .expect("counts")
            .iter()
            .map(|count| count["count"].as_u64().expect("a count"))
            .sum();
        assert_eq!(by_status, organizations_here.len() as u64);
        let open: Vec<_> = posts
            .iter()
            .filter(|post| within.contains(&post.community_id))
            .filter(|post| post.status == entities::service_post::PostStatus::Open)
            .collect();
        assert_eq!(statistics["openPosts"], open.len());
        assert_eq!(
            statistics["openPostPlaces"],
            open.iter()
                .map(|post| i64::from(post.head_count))
                .sum::<i64>()
        );
        let posts_here: Vec<i64> = posts
            .iter()
            .filter(|post| within.contains(&post.community_id))
            .map(|post| post.id)
            .collect();
        let holders = claims
            .iter()
            .filter(|claim| posts_here.contains(&claim.post_id))
            .count();
        assert_eq!(statistics["postHolders"], holders);
        let service: Vec<_> = records
            .iter()
            .filter(|record| within.contains(&record.community_id))
            .collect();
        assert_eq!(
            statistics["memberServiceMinutes"],
            service
                .iter()
                .map(|record| i64::from(record.minutes))
                .sum::<i64>()
        );
        assert_eq!(statistics["memberServiceRecords"], service.len());
        let mut people: Vec<i64> = service.iter().map(|record| record.person_id).collect();
        people.sort_unstable();
        people.dedup();
        assert_eq!(statistics["servingMembers"], people.len());
    }

    // One batch of statements, however many units are asked about.
    let before = app.statements();
    app.query_as(None, STATISTICS, json!({ "codes": [QIYI] }))
        .await;
    assert_eq!(app.statements() - before, three_units);
}

async fn a_deregistered_member_leaves_the_communitys_posts(app: TestApp) {
    // A post holder registered with the post's community.
    let mut holding = None;
    for claim in post_claim::Entity::find()
        .filter(post_claim::Column::Status.eq(PostClaimStatus::Confirmed))
        .order_by_asc(post_claim::Column::Id)
        .all(app.db())
        .await
        .expect("query claims")
    {
        let post = service_post::Entity::find_by_id(claim.post_id)
            .one(app.db())
            .await
            .expect("query posts")
            .expect("the post");
        let registration = member_registration::Entity::find()
            .filter(member_registration::Column::PartyMemberId.eq(claim.party_member_id))
            .filter(member_registration::Column::CommunityId.eq(post.community_id))
            .filter(member_registration::Column::Status.eq(MemberRegistrationStatus::Accepted))
            .one(app.db())
            .await
            .expect("query registrations");
        if let Some(registration) = registration {
            holding = Some((claim, registration));
            break;
        }
    }
    let (claim, registration) = holding.expect("the demo district has a registered post holder");
    let community = unit_by_id(&app, registration.community_id).await;
    let staff = app.staff_token(Role::CommunityStaff, &community.code).await;

    let data = app
        .query_as(
            Some(&staff),
            DEREGISTER,
            json!({ "id": global_id("MemberRegistration", registration.id) }),
        )
        .await;
    assert_eq!(
        data["deregisterMember"],
        json!({ "registration": { "status": "DEREGISTERED" }, "userErrors": [] })
    );
    let after = post_claim::Entity::find_by_id(claim.id)
        .one(app.db())
        .await
        .expect("query claims")
        .expect("the claim");
    assert_eq!(after.status, PostClaimStatus::Ended);
    assert!(after.closed_at.is_some());
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::EntityType.eq("post_claim"))
        .filter(audit_log::Column::EntityId.eq(claim.id))
        .filter(audit_log::Column::Action.eq("leave_community_posts"))
        .count(app.db())
        .await
        .expect("count audit records");
    assert_eq!(audited, 1);
    let open = post_claim::Entity::find()
        .filter(post_claim::Column::PartyMemberId.eq(claim.party_member_id))
        .filter(
            post_claim::Column::Status
                .is_in([PostClaimStatus::Applied, PostClaimStatus::Confirmed]),
        )
        .all(app.db())
        .await
        .expect("query claims");
    for other in open {
        let post = service_post::Entity::find_by_id(other.post_id)
            .one(app.db())
            .await
            .expect("query posts")
            .expect("the post");
        assert_ne!(post.community_id, registration.community_id);
    }
}

/// A token of the member who made the post claim `claim`.
async fn claimant_token(app: &TestApp, claim: i64) -> String {
    let claim = post_claim::Entity::find_by_id(claim)
        .one(app.db())
        .await
        .expect("query claims")
        .expect("the claim");
    let member = party_member::Entity::find_by_id(claim.party_member_id)
        .one(app.db())
        .await
        .expect("query members")
        .expect("the member");
    app.person_token(member.person_id)
}

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

/// `count` new Party members of `unit_id`, with no registration yet.
async fn new_members(app: &TestApp, unit_id: i64, count: usize) -> Vec<i64> {
    let now = Utc::now();
    let first_person = person::Entity::find()
        .order_by_desc(person::Column::Id)
        .one(app.db())
        .await
        .expect("query people")
        .map_or(1, |person| person.id + 1);
    let person_ids: Vec<i64> = (first_person..).take(count).collect();
    for chunk in person_ids.chunks(500) {
        person::Entity::insert_many(chunk.iter().map(|&id| person::ActiveModel {
            id: Set(id),
            name: Set(format!("党员{id}")),
            lives_alone: Set(false),
            hardship: Set(false),
            created_at: Set(now),
            ..Default::default()
        }))
        .exec(app.db())
        .await
        .expect("insert people");
        party_member::Entity::insert_many(chunk.iter().map(|&person_id| {
            party_member::ActiveModel {
                person_id: Set(person_id),
                organization_id: Set(unit_id),
                serving: Set(true),
                created_at: Set(now),
                ..Default::default()
            }
        }))
        .exec(app.db())
        .await
        .expect("insert members");
    }
    party_member::Entity::find()
        .filter(party_member::Column::PersonId.gte(first_person))
        .order_by_asc(party_member::Column::Id)
        .all(app.db())
        .await
        .expect("query members")
        .into_iter()
        .map(|member| member.id)
        .collect()
}

/// Members with no open registration, in id order.
async fn unregistered_members(app: &TestApp, count: usize) -> Vec<party_member::Model> {
    let open: Vec<i64> = member_registration::Entity::find()
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
    let members: Vec<party_member::Model> = party_member::Entity::find()
        .filter(party_member::Column::Id.is_not_in(open))
        .order_by_asc(party_member::Column::Id)
        .all(app.db())
        .await
        .expect("query members");
    assert!(
        members.len() >= count,
        "the demo district has {count} members without an open registration"
    );
    members.into_iter().take(count).collect()
}

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

async fn unit_by_id(app: &TestApp, id: i64) -> admin_unit::Model {
    admin_unit::Entity::find_by_id(id)
        .one(app.db())
        .await
        .expect("query units")
        .expect("the unit")
}

/// A community other than `community_id`, with grids.
async fn other_community(app: &TestApp, community_id: i64) -> admin_unit::Model {
    let grid = admin_unit::Entity::find()
        .filter(admin_unit::Column::Level.eq(UnitLevel::Grid))
        .filter(admin_unit::Column::ParentId.ne(community_id))
        .order_by_asc(admin_unit::Column::Id)
        .one(app.db())
        .await
        .expect("query units")
        .expect("a grid of another community");
    unit_by_id(app, grid.parent_id.expect("a grid's community")).await
}

async fn grids_of(app: &TestApp, community_id: i64) -> Vec<admin_unit::Model> {
    let grids = admin_unit::Entity::find()
        .filter(admin_unit::Column::ParentId.eq(community_id))
        .filter(admin_unit::Column::Level.eq(UnitLevel::Grid))
        .order_by_asc(admin_unit::Column::Id)
        .all(app.db())
        .await
        .expect("query grids");
    assert!(!grids.is_empty(), "the community has grids");
    grids
}
