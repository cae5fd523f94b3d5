//! Organisation registrations (单位报到) over HTTP: an organisation registers with a
//! community, the community accepts or returns it, both sides review each other once a year,
//! and the organisation withdraws.

use entities::organization;
use gongzhi::auth::Scope;
use gongzhi::graphql::ids::global_id;
use gongzhi_tests::demo::{QIYI, grids_of, other_community, unit_by_id};
use gongzhi_tests::{Role, TestApp, e2e};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

e2e!(
    organisations_register_and_both_sides_review,
    a_registrations_review_is_read_by_its_two_sides_only,
);

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

/// An accepted registration is public, its yearly review is not: the organisation and the staff
/// of its community (or above) read the note and the ratings, anyone else reads null.
async fn a_registrations_review_is_read_by_its_two_sides_only(app: TestApp) {
    use entities::org_registration::{self, OrgRegistrationStatus};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let registration = org_registration::Entity::find()
        .filter(org_registration::Column::Status.eq(OrgRegistrationStatus::Accepted))
        .order_by_asc(org_registration::Column::Id)
        .one(app.db())
        .await
        .expect("query registrations")
        .expect("the demo district has an accepted organisation registration");
    let mut reviewed: org_registration::ActiveModel = registration.clone().into();
    reviewed.review_note = Set(Some("合作顺利".to_owned()));
    reviewed.community_rating = Set(Some(5));
    reviewed.organization_rating = Set(Some(4));
    reviewed.reviewed_at = Set(Some(chrono::Utc::now()));
    reviewed
        .update(app.db())
        .await
        .expect("review the registration");

    let community = unit_by_id(&app, registration.community_id).await;
    let elsewhere = other_community(&app, community.id).await;
    let query = r#"query($id: ID!) { node(id: $id) { ... on OrgRegistration {
        status reviewNote communityRating organizationRating reviewedAt } } }"#;
    let id = json!({ "id": global_id("OrgRegistration", registration.id) });
    let sides = [
        app.client_token(registration.organization_id, &[Scope::RegistrationsRead]),
        app.staff_token(Role::CommunityStaff, &community.code).await,
    ];
    for token in &sides {
        let read = app.query_as(Some(token), query, id.clone()).await;
        assert_eq!(read["node"]["reviewNote"], "合作顺利", "{read}");
        assert_eq!(read["node"]["communityRating"], 5);
        assert_eq!(read["node"]["organizationRating"], 4);
    }
    let others = [
        None,
        Some(app.staff_token(Role::CommunityStaff, &elsewhere.code).await),
    ];
    for token in &others {
        let read = app.query_as(token.as_deref(), query, id.clone()).await;
        assert_eq!(
            read["node"]["status"], "ACCEPTED",
            "the registration is public: {read}"
        );
        for field in [
            "reviewNote",
            "communityRating",
            "organizationRating",
            "reviewedAt",
        ] {
            assert_eq!(read["node"][field], Value::Null, "{field}: {read}");
        }
    }
}
