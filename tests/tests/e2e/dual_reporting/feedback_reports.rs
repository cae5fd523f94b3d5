//! Quarterly feedback reports (报到反馈) over HTTP: each member's figures follow the unit of
//! each record, and a report goes from generated to acknowledged, each step by its side.

use chrono::DateTime;
use chrono::Utc;
use entities::member_registration::{self, MemberRegistrationStatus, SubmittedBy};
use entities::organization;
use entities::post_claim::{self, PostClaimStatus};
use entities::service_record::{self, RecordStatus};
use entities::wish_claim::{self, ClaimStatus, ClaimantKind};
use entities::{micro_wish, party_member, service_post};
use gongzhi::auth::Scope;
use gongzhi::graphql::ids::global_id;
use gongzhi_tests::demo::{QIYI, grids_of};
use gongzhi_tests::{Role, TestApp, e2e};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use super::common::{cst, new_members};

e2e!(a_quarterly_report_follows_the_unit_of_each_record);

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
            cst(2020, 3, 1, 9, 0),
            cst(2020, 5, 15, 9, 0),
        ),
        registration(
            new_unit.id,
            MemberRegistrationStatus::Accepted,
            cst(2020, 5, 15, 9, 0),
            cst(2020, 5, 15, 9, 0),
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
        record(
            old_unit.id,
            cst(2020, 4, 10, 9, 0),
            120,
            RecordStatus::Confirmed,
        ),
        record(
            old_unit.id,
            cst(2020, 5, 1, 9, 0),
            60,
            RecordStatus::Confirmed,
        ),
        record(
            new_unit.id,
            cst(2020, 6, 1, 9, 0),
            90,
            RecordStatus::Confirmed,
        ),
        // Neither counts: one is not confirmed, one is in the next quarter.
        record(
            new_unit.id,
            cst(2020, 6, 2, 9, 0),
            45,
            RecordStatus::Pending,
        ),
        record(
            new_unit.id,
            cst(2020, 7, 2, 9, 0),
            30,
            RecordStatus::Confirmed,
        ),
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
        due_at: Set(cst(2020, 6, 30, 9, 0)),
        closed_at: Set(Some(cst(2020, 6, 10, 9, 0))),
        created_at: Set(cst(2020, 6, 1, 9, 0)),
        updated_at: Set(cst(2020, 6, 10, 9, 0)),
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
        decided_at: Set(Some(cst(2020, 4, 20, 9, 0))),
        created_at: Set(cst(2020, 4, 18, 9, 0)),
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
    // Until the community sends it, the unit may not read the report: for the unit it does not
    // exist, in reads and mutations alike.
    let id = json!({ "id": old["generateFeedbackReport"]["report"]["id"] });
    let read = r#"query($id: ID!) { node(id: $id) { id } }"#;
    for mutation in [read, SIGN, ACKNOWLEDGE] {
        let (_, errors) = app.errors(Some(&unit_client), mutation, id.clone()).await;
        assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND", "{errors:?}");
    }
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
    let sent = app.query_as(Some(&unit_client), read, id.clone()).await;
    assert_eq!(sent["node"]["id"], id["id"]);
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
