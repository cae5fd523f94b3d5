//! Member self-reports (双报告) over HTTP: a half-yearly report pre-filled from the member's
//! records, edited and submitted by the member, refused to everyone else, and read by the
//! member's unit once submitted.

use chrono::{DateTime, Datelike, Utc};
use entities::admin_unit;
use entities::audit_log;
use entities::member_registration::{self, MemberRegistrationStatus, SubmittedBy};
use entities::member_report;
use entities::organization;
use entities::post_claim::{self, PostClaimStatus};
use entities::service_record::{self, RecordStatus};
use entities::wish_claim::{self, ClaimStatus, ClaimantKind};
use entities::{micro_wish, party_member, service_post};
use gongzhi::auth::Scope;
use gongzhi::graphql::ids::global_id;
use gongzhi_tests::demo::{QIYI, new_person};
use gongzhi_tests::{Role, TestApp, e2e};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use super::common::cst;

e2e!(
    a_member_reports_figures_from_their_records_and_their_unit_reads_it,
    refused_member_report_transitions_say_why,
);

const FIELDS: &str = "id status year half serviceMinutes serviceRecords realisedWishes postsHeld
    summary remarks submittedAt member { id } unit { id } community { id }";

/// Drafts the caller's report for a half-year (`$year`, `$half`), with an idempotency key.
fn draft_mutation() -> String {
    format!(
        r#"mutation($year: Int!, $half: Int!, $key: String) {{
            draftMemberReport(input: {{ year: $year, half: $half, idempotencyKey: $key }}) {{
                report {{ {FIELDS} }}
                userErrors {{ field message code }}
            }}
        }}"#
    )
}

/// Edits a report's summary and remarks.
fn edit_mutation() -> String {
    format!(
        r#"mutation($id: ID!, $summary: String!, $remarks: String) {{
            editMemberReport(input: {{ reportId: $id, summary: $summary, remarks: $remarks }}) {{
                report {{ {FIELDS} }}
                userErrors {{ field message code }}
            }}
        }}"#
    )
}

/// Submits a report.
fn submit_mutation() -> String {
    format!(
        r#"mutation($id: ID!) {{
            submitMemberReport(input: {{ reportId: $id }}) {{
                report {{ {FIELDS} }}
                userErrors {{ field message code }}
            }}
        }}"#
    )
}

const LIST: &str = r#"query($filter: MemberReportFilter) {
    memberReports(filter: $filter) { nodes { id status summary } }
}"#;

async fn a_member_reports_figures_from_their_records_and_their_unit_reads_it(app: TestApp) {
    let qiyi = app.unit_by_code(QIYI).await;
    let [unit, other_unit] = party_units(&app).await;
    let member = new_member(&app, unit).await;
    registered(&app, &member, qiyi.id).await;

    // Service around the first half of 2020, in China Standard Time: 120 + 60 minutes count.
    let record = |started: DateTime<Utc>, minutes: i32, status| service_record::ActiveModel {
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
        record(cst(2020, 4, 10, 9, 0), 120, RecordStatus::Confirmed),
        // 00:30 on 1 January in Beijing is still 31 December in UTC: it counts.
        record(cst(2020, 1, 1, 0, 30), 60, RecordStatus::Confirmed),
        // None of these count: not confirmed, in the second half, before the year in Beijing.
        record(cst(2020, 5, 2, 9, 0), 45, RecordStatus::Pending),
        record(cst(2020, 7, 1, 0, 30), 30, RecordStatus::Confirmed),
        record(cst(2019, 12, 31, 23, 30), 15, RecordStatus::Confirmed),
    ])
    .exec(app.db())
    .await
    .expect("insert service records");
    let wishes = micro_wish::Entity::find()
        .filter(micro_wish::Column::CommunityId.eq(qiyi.id))
        .order_by_asc(micro_wish::Column::Id)
        .all(app.db())
        .await
        .expect("query wishes");
    assert!(wishes.len() >= 3, "七一 has wishes");
    let claim = |wish: i64, status, closed: DateTime<Utc>| wish_claim::ActiveModel {
        wish_id: Set(wish),
        claimant_kind: Set(ClaimantKind::PartyMember),
        claimant_person_id: Set(Some(member.person_id)),
        status: Set(status),
        due_at: Set(closed),
        closed_at: Set(Some(closed)),
        created_at: Set(closed - chrono::TimeDelta::days(5)),
        updated_at: Set(closed),
        ..Default::default()
    };
    wish_claim::Entity::insert_many([
        claim(wishes[0].id, ClaimStatus::Fulfilled, cst(2020, 6, 10, 9, 0)),
        // Neither counts: realised in the second half; released, not realised.
        claim(wishes[1].id, ClaimStatus::Fulfilled, cst(2020, 7, 5, 9, 0)),
        claim(wishes[2].id, ClaimStatus::Released, cst(2020, 3, 5, 9, 0)),
    ])
    .exec(app.db())
    .await
    .expect("insert wish claims");
    let posts = service_post::Entity::find()
        .filter(service_post::Column::CommunityId.eq(qiyi.id))
        .order_by_asc(service_post::Column::Id)
        .all(app.db())
        .await
        .expect("query posts");
    assert!(posts.len() >= 2, "七一 has posts");
    let post_claim = |post: i64, status, decided: Option<DateTime<Utc>>| post_claim::ActiveModel {
        post_id: Set(post),
        party_member_id: Set(member.id),
        status: Set(status),
        decided_at: Set(decided),
        created_at: Set(cst(2020, 4, 18, 9, 0)),
        ..Default::default()
    };
    post_claim::Entity::insert_many([
        post_claim(
            posts[0].id,
            PostClaimStatus::Confirmed,
            Some(cst(2020, 4, 20, 9, 0)),
        ),
        // Still waiting for staff: not held.
        post_claim(posts[1].id, PostClaimStatus::Applied, None),
    ])
    .exec(app.db())
    .await
    .expect("insert post claims");

    let own = app.person_token(member.person_id);
    let data = app
        .query_as(
            Some(&own),
            &draft_mutation(),
            json!({ "year": 2020, "half": 1, "key": "draft-2020-1" }),
        )
        .await;
    let payload = &data["draftMemberReport"];
    assert_eq!(payload["userErrors"], json!([]));
    let report = &payload["report"];
    let id = report["id"].clone();
    assert_eq!(report["status"], "DRAFT");
    assert_eq!(
        [
            &report["year"],
            &report["half"],
            &report["serviceMinutes"],
            &report["serviceRecords"],
            &report["realisedWishes"],
            &report["postsHeld"],
        ],
        [
            &json!(2020),
            &json!(1),
            &json!(180),
            &json!(2),
            &json!(1),
            &json!(1)
        ]
    );
    assert_eq!(
        report["member"]["id"],
        json!(global_id("PartyMember", member.id))
    );
    assert_eq!(report["unit"]["id"], json!(global_id("Organization", unit)));
    assert_eq!(
        report["community"]["id"],
        json!(global_id("AdminUnit", qiyi.id))
    );
    assert_eq!(report["summary"], Value::Null);

    // A retry with the same key returns the same draft and drafts nothing more.
    let retry = app
        .query_as(
            Some(&own),
            &draft_mutation(),
            json!({ "year": 2020, "half": 1, "key": "draft-2020-1" }),
        )
        .await;
    assert_eq!(retry["draftMemberReport"]["report"]["id"], id);
    assert_eq!(retry["draftMemberReport"]["userErrors"], json!([]));

    // The unit does not see a draft.
    let admin = app.org_admin_token(Role::PartyUnitAdmin, unit);
    let unit_filter = json!({ "filter": { "unit": global_id("Organization", unit) } });
    let data = app.query_as(Some(&admin), LIST, unit_filter.clone()).await;
    assert_eq!(data["memberReports"]["nodes"], json!([]));
    let node = r#"query($id: ID!) { node(id: $id) { id } }"#;
    let (_, errors) = app.errors(Some(&admin), node, json!({ "id": id })).await;
    assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND");

    let data = app
        .query_as(
            Some(&own),
            &edit_mutation(),
            json!({ "id": id, "summary": "上半年在七一社区做楼栋长。",
                    "remarks": "四月的服务时长含两次夜间巡逻。" }),
        )
        .await;
    let payload = &data["editMemberReport"];
    assert_eq!(payload["userErrors"], json!([]));
    assert_eq!(payload["report"]["status"], "EDITED");
    assert_eq!(payload["report"]["summary"], "上半年在七一社区做楼栋长。");
    assert_eq!(
        payload["report"]["remarks"],
        "四月的服务时长含两次夜间巡逻。"
    );
    // Editing leaves the figures as drafted.
    assert_eq!(payload["report"]["serviceMinutes"], 180);

    // A second edit replaces the first; no remarks clears them.
    let data = app
        .query_as(
            Some(&own),
            &edit_mutation(),
            json!({ "id": id, "summary": "上半年在七一社区做楼栋长，认领并实现一个微心愿。" }),
        )
        .await;
    let payload = &data["editMemberReport"];
    assert_eq!(payload["userErrors"], json!([]));
    assert_eq!(
        payload["report"]["summary"],
        "上半年在七一社区做楼栋长，认领并实现一个微心愿。"
    );
    assert_eq!(payload["report"]["remarks"], Value::Null);

    let data = app
        .query_as(Some(&own), &submit_mutation(), json!({ "id": id }))
        .await;
    let payload = &data["submitMemberReport"];
    assert_eq!(payload["userErrors"], json!([]));
    assert_eq!(payload["report"]["status"], "SUBMITTED");
    assert!(payload["report"]["submittedAt"].is_string());

    // Every change is audited.
    let raw_id = member_report::Entity::find()
        .filter(member_report::Column::PartyMemberId.eq(member.id))
        .one(app.db())
        .await
        .expect("query reports")
        .expect("the report")
        .id;
    let audit: Vec<(String, Option<String>, Option<String>)> = audit_log::Entity::find()
        .filter(audit_log::Column::EntityType.eq("member_report"))
        .filter(audit_log::Column::EntityId.eq(raw_id))
        .order_by_asc(audit_log::Column::Id)
        .all(app.db())
        .await
        .expect("query audit log")
        .into_iter()
        .map(|record| (record.action, record.from_state, record.to_state))
        .collect();
    let step = |action: &str, from: Option<&str>, to: &str| {
        (
            action.to_owned(),
            from.map(str::to_owned),
            Some(to.to_owned()),
        )
    };
    assert_eq!(
        audit,
        [
            step("draft_member_report", None, "draft"),
            step("edit_member_report", Some("draft"), "edited"),
            step("edit_member_report", Some("edited"), "edited"),
            step("submit_member_report", Some("edited"), "submitted"),
        ]
    );

    // Submitted, the report is read by the unit's administrator and its client with
    // `registrations:read`, and by the member; not by another unit or a client without the
    // scope.
    let expected = json!([{ "id": id, "status": "SUBMITTED",
        "summary": "上半年在七一社区做楼栋长，认领并实现一个微心愿。" }]);
    let data = app.query_as(Some(&admin), LIST, unit_filter.clone()).await;
    assert_eq!(data["memberReports"]["nodes"], expected);
    let reader = app.client_token(unit, &[Scope::RegistrationsRead]);
    let data = app.query_as(Some(&reader), LIST, unit_filter.clone()).await;
    assert_eq!(data["memberReports"]["nodes"], expected);
    let data = app
        .query_as(
            Some(&own),
            LIST,
            json!({ "filter": { "year": 2020, "half": 1, "status": "SUBMITTED" } }),
        )
        .await;
    assert_eq!(data["memberReports"]["nodes"], expected);
    let data = app
        .query_as(
            Some(&app.org_admin_token(Role::PartyUnitAdmin, other_unit)),
            LIST,
            json!({}),
        )
        .await;
    assert_eq!(data["memberReports"]["nodes"], json!([]));
    let writer = app.client_token(unit, &[Scope::RegistrationsWrite]);
    let (_, errors) = app.errors(Some(&writer), LIST, unit_filter).await;
    assert_eq!(errors[0]["extensions"]["code"], "FORBIDDEN");
    let staff = app.staff_token(Role::CommunityStaff, QIYI).await;
    let data = app.query_as(Some(&staff), LIST, json!({})).await;
    assert_eq!(data["memberReports"]["nodes"], json!([]));
}

async fn refused_member_report_transitions_say_why(app: TestApp) {
    let [unit, _] = party_units(&app).await;
    let member = new_member(&app, unit).await;
    let another = new_member(&app, unit).await;
    let own = app.person_token(member.person_id);
    let theirs = app.person_token(another.person_id);
    let admin = app.org_admin_token(Role::PartyUnitAdmin, unit);
    let code_of = |data: &Value, mutation: &str| data[mutation]["userErrors"][0]["code"].clone();

    // Only an ended half-year, 1 or 2, and only a Party member for themself.
    for (year, half) in [(2020, 3), (2020, 0), (Utc::now().year() + 1, 1)] {
        let data = app
            .query_as(
                Some(&own),
                &draft_mutation(),
                json!({ "year": year, "half": half }),
            )
            .await;
        assert_eq!(
            data["draftMemberReport"]["userErrors"][0],
            json!({ "field": ["input", "half"],
                    "message": "a half-year is 1 or 2 of a year, and reported once it has ended",
                    "code": "INVALID_PERIOD" })
        );
    }
    let outsider = new_person(&app).await;
    for token in [app.person_token(outsider), admin.clone()] {
        let data = app
            .query_as(
                Some(&token),
                &draft_mutation(),
                json!({ "year": 2020, "half": 2 }),
            )
            .await;
        assert_eq!(code_of(&data, "draftMemberReport"), "NOT_A_MEMBER");
        assert_eq!(data["draftMemberReport"]["report"], Value::Null);
    }
    let (_, errors) = app
        .errors(None, &draft_mutation(), json!({ "year": 2020, "half": 2 }))
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "UNAUTHENTICATED");

    let data = app
        .query_as(
            Some(&own),
            &draft_mutation(),
            json!({ "year": 2020, "half": 2 }),
        )
        .await;
    assert_eq!(data["draftMemberReport"]["userErrors"], json!([]));
    // No records: every figure is zero, and no community.
    let report = &data["draftMemberReport"]["report"];
    assert_eq!(report["serviceMinutes"], 0);
    assert_eq!(report["postsHeld"], 0);
    assert_eq!(report["community"], Value::Null);
    let id = report["id"].clone();
    let data = app
        .query_as(
            Some(&own),
            &draft_mutation(),
            json!({ "year": 2020, "half": 2 }),
        )
        .await;
    assert_eq!(
        data["draftMemberReport"]["userErrors"][0],
        json!({ "field": ["input", "year"],
                "message": "the member has already drafted a report for this half-year",
                "code": "ALREADY_DRAFTED" })
    );

    // A draft is submitted only once edited, and edited only with a summary.
    let data = app
        .query_as(Some(&own), &submit_mutation(), json!({ "id": id }))
        .await;
    assert_eq!(code_of(&data, "submitMemberReport"), "NOT_EDITED");
    assert_eq!(data["submitMemberReport"]["report"]["status"], "DRAFT");
    let data = app
        .query_as(
            Some(&own),
            &edit_mutation(),
            json!({ "id": id, "summary": "   " }),
        )
        .await;
    assert_eq!(code_of(&data, "editMemberReport"), "SUMMARY_REQUIRED");

    // Another member, even of the same unit, does not see the report at all.
    let edit = json!({ "id": id, "summary": "替别人写" });
    let (_, errors) = app
        .errors(Some(&theirs), &edit_mutation(), edit.clone())
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND");
    let (_, errors) = app
        .errors(Some(&theirs), &submit_mutation(), json!({ "id": id }))
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND");

    let data = app
        .query_as(
            Some(&own),
            &edit_mutation(),
            json!({ "id": id, "summary": "下半年在单位值班，未到社区服务。" }),
        )
        .await;
    assert_eq!(data["editMemberReport"]["userErrors"], json!([]));
    let data = app
        .query_as(Some(&own), &submit_mutation(), json!({ "id": id }))
        .await;
    assert_eq!(data["submitMemberReport"]["userErrors"], json!([]));

    // Submitted, the report no longer changes, for its member or anyone.
    let data = app
        .query_as(Some(&own), &edit_mutation(), edit.clone())
        .await;
    assert_eq!(
        data["editMemberReport"]["userErrors"][0],
        json!({ "field": ["input", "reportId"],
                "message": "the report has been submitted and no longer changes",
                "code": "ALREADY_SUBMITTED" })
    );
    assert_eq!(
        data["editMemberReport"]["report"]["summary"],
        "下半年在单位值班，未到社区服务。"
    );
    let data = app
        .query_as(Some(&own), &submit_mutation(), json!({ "id": id }))
        .await;
    assert_eq!(code_of(&data, "submitMemberReport"), "ALREADY_SUBMITTED");
    // The unit reads the submitted report but may not write it.
    let data = app.query_as(Some(&admin), &edit_mutation(), edit).await;
    assert_eq!(
        data["editMemberReport"]["userErrors"][0],
        json!({ "field": ["input"], "message": "only the member who reports may do this",
                "code": "NOT_OWN_REPORT" })
    );
    let data = app
        .query_as(Some(&admin), &submit_mutation(), json!({ "id": id }))
        .await;
    assert_eq!(code_of(&data, "submitMemberReport"), "NOT_OWN_REPORT");
    let (_, errors) = app
        .errors(Some(&theirs), &submit_mutation(), json!({ "id": id }))
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND");

    let stored = member_report::Entity::find()
        .filter(member_report::Column::PartyMemberId.eq(member.id))
        .all(app.db())
        .await
        .expect("query reports");
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].summary.as_deref(),
        Some("下半年在单位值班，未到社区服务。")
    );
}

/// Two Party units of the demo district, in id order.
async fn party_units(app: &TestApp) -> [i64; 2] {
    let units = organization::Entity::find()
        .filter(organization::Column::Kind.eq(organization::OrganizationKind::PartyUnit))
        .order_by_asc(organization::Column::Id)
        .all(app.db())
        .await
        .expect("query organisations");
    assert!(units.len() >= 2, "the demo district has Party units");
    [units[0].id, units[1].id]
}

/// A new Party member of `unit`, with no records.
async fn new_member(app: &TestApp, unit: i64) -> party_member::Model {
    let person_id = new_person(app).await;
    let inserted = party_member::Entity::insert(party_member::ActiveModel {
        person_id: Set(person_id),
        organization_id: Set(unit),
        serving: Set(true),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec(app.db())
    .await
    .expect("insert a member");
    party_member::Entity::find_by_id(inserted.last_insert_id)
        .one(app.db())
        .await
        .expect("query members")
        .expect("the member")
}

/// Registers the member with the community, accepted before 2020.
async fn registered(app: &TestApp, member: &party_member::Model, community: i64) {
    let grid = admin_unit::Entity::find()
        .filter(admin_unit::Column::ParentId.eq(community))
        .order_by_asc(admin_unit::Column::Id)
        .one(app.db())
        .await
        .expect("query grids")
        .expect("a grid of the community");
    let accepted = cst(2019, 12, 1, 9, 0);
    member_registration::Entity::insert(member_registration::ActiveModel {
        party_member_id: Set(member.id),
        community_id: Set(community),
        grid_id: Set(Some(grid.id)),
        organization_id: Set(member.organization_id),
        status: Set(MemberRegistrationStatus::Accepted),
        submitted_by: Set(SubmittedBy::Member),
        decided_at: Set(Some(accepted)),
        created_at: Set(accepted),
        updated_at: Set(accepted),
        ..Default::default()
    })
    .exec(app.db())
    .await
    .expect("insert a registration");
}
