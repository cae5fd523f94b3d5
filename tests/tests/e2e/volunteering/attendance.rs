//! Attendance at volunteer activities over HTTP: checking in and out by the organiser or with
//! the organiser's code, and the hours it earns, rounded, capped and kept inside the activity's
//! window.

use chrono::{Duration, Utc};
use entities::activity_signup;
use entities::party_member;
use entities::service_record::{self, RecordStatus};
use gongzhi::graphql::ids::global_id;
use gongzhi_tests::demo::people;
use gongzhi_tests::gql::{decoded, mutate};
use gongzhi_tests::{TestApp, e2e};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use serde_json::json;

use super::common::{
    SERVICE_HOURS, SIGN_UP, attendance, minute, published_activity, record_of, reschedule,
    signup_of,
};

e2e!(
    hours_are_rounded_capped_and_kept_inside_the_window,
    volunteers_check_in_and_out_with_the_organisers_code,
    codes_issued_at_once_each_replace_the_last,
);

const ISSUE: &str = r#"mutation($id: ID!, $purpose: CodePurpose!) {
    issueAttendanceCode(input: { activityId: $id, purpose: $purpose }) { code expiresAt userErrors { code } }
}"#;
const ATTEND: &str = r#"mutation($id: ID!, $code: String!) {
    checkInWithCode(input: { activityId: $id, code: $code }) { signup { status } userErrors { field code } }
}"#;

async fn hours_are_rounded_capped_and_kept_inside_the_window(app: TestApp) {
    let (id, organiser) = published_activity(&app, 5, true).await;
    let member = party_member::Entity::find()
        .order_by_asc(party_member::Column::Id)
        .one(app.db())
        .await
        .expect("query members")
        .expect("the demo district has Party members");
    let volunteer = app.person_token(member.person_id);
    let signed = mutate(&app, &volunteer, SIGN_UP, json!({ "id": id })).await;
    let signup_id = signed["signup"]["id"].clone();
    assert_eq!(signed["userErrors"], json!([]), "{signed}");
    let hours_before = app
        .query_as(
            Some(&volunteer),
            SERVICE_HOURS,
            json!({ "id": global_id("Person", member.person_id) }),
        )
        .await;

    // One scheduled hour that ended a while ago; the default tolerance is 30 minutes.
    let start = minute(Utc::now()) - Duration::hours(3);
    let end = start + Duration::hours(1);
    reschedule(&app, decoded(&id), start, end).await;
    let check_in = attendance("checkInVolunteer");
    let check_out = attendance("checkOutVolunteer");
    let too_early = mutate(
        &app,
        &organiser,
        &check_in,
        json!({ "id": signup_id, "at": start - Duration::minutes(31) }),
    )
    .await;
    assert_eq!(
        too_early["userErrors"][0],
        json!({ "field": ["input", "at"], "code": "OUTSIDE_ACTIVITY_WINDOW" })
    );
    let future = mutate(
        &app,
        &organiser,
        &check_in,
        json!({ "id": signup_id, "at": Utc::now() + Duration::hours(1) }),
    )
    .await;
    assert_eq!(future["userErrors"][0]["code"], "INVALID_ATTENDANCE_TIME");
    let not_in = mutate(
        &app,
        &organiser,
        &check_out,
        json!({ "id": signup_id, "at": end }),
    )
    .await;
    assert_eq!(not_in["userErrors"][0]["code"], "NOT_CHECKED_IN");
    let by_volunteer = mutate(
        &app,
        &volunteer,
        &check_in,
        json!({ "id": signup_id, "at": start }),
    )
    .await;
    assert_eq!(by_volunteer["userErrors"][0]["code"], "NOT_ORGANIZER");

    let early = start - Duration::minutes(30);
    let checked_in = mutate(
        &app,
        &organiser,
        &check_in,
        json!({ "id": signup_id, "at": early }),
    )
    .await;
    assert_eq!(checked_in["signup"]["status"], "CHECKED_IN");
    let twice = mutate(
        &app,
        &organiser,
        &check_in,
        json!({ "id": signup_id, "at": start }),
    )
    .await;
    assert_eq!(twice["userErrors"][0]["code"], "SIGNUP_NOT_APPROVED");
    let backwards = mutate(
        &app,
        &organiser,
        &check_out,
        json!({ "id": signup_id, "at": early }),
    )
    .await;
    assert_eq!(
        backwards["userErrors"][0]["code"],
        "INVALID_ATTENDANCE_TIME"
    );
    let late = end + Duration::minutes(30);
    let checked_out = mutate(
        &app,
        &organiser,
        &check_out,
        json!({ "id": signup_id, "at": late }),
    )
    .await;
    assert_eq!(
        checked_out["signup"]["status"], "CHECKED_OUT",
        "{checked_out}"
    );

    // Two hours attended, but never more than the scheduled hour plus the tolerance.
    let record = record_of(&app, decoded(&signup_id)).await;
    assert_eq!(record.minutes, 90);
    assert_eq!((record.started_at, record.ended_at), (early, late));
    assert_eq!(record.member_unit_id, Some(member.organization_id));
    assert_eq!(record.status, RecordStatus::Pending);
    // Pending records do not count yet.
    let hours = app
        .query_as(
            Some(&volunteer),
            SERVICE_HOURS,
            json!({ "id": global_id("Person", member.person_id) }),
        )
        .await;
    assert_eq!(hours, hours_before);

    // Under one rounding unit earns no record.
    let (short, organiser) = published_activity(&app, 5, true).await;
    let other = people(&app, 1).await[0];
    let signed = mutate(
        &app,
        &app.person_token(other),
        SIGN_UP,
        json!({ "id": short }),
    )
    .await;
    reschedule(&app, decoded(&short), start, end).await;
    let short_signup = signed["signup"]["id"].clone();
    mutate(
        &app,
        &organiser,
        &check_in,
        json!({ "id": short_signup, "at": start }),
    )
    .await;
    let out = mutate(
        &app,
        &organiser,
        &check_out,
        json!({ "id": short_signup, "at": start + Duration::minutes(14) }),
    )
    .await;
    assert_eq!(out["signup"]["status"], "CHECKED_OUT");
    let records = service_record::Entity::find()
        .filter(service_record::Column::SignupId.eq(decoded(&short_signup)))
        .count(app.db())
        .await
        .expect("count records");
    assert_eq!(records, 0);
}

async fn volunteers_check_in_and_out_with_the_organisers_code(app: TestApp) {
    let (id, organiser) = published_activity(&app, 5, true).await;
    let volunteer_id = people(&app, 1).await[0];
    let volunteer = app.person_token(volunteer_id);
    mutate(&app, &volunteer, SIGN_UP, json!({ "id": id })).await;
    let start = minute(Utc::now()) - Duration::minutes(20);
    reschedule(&app, decoded(&id), start, start + Duration::hours(2)).await;

    let refused = mutate(
        &app,
        &volunteer,
        ISSUE,
        json!({ "id": id, "purpose": "CHECK_IN" }),
    )
    .await;
    assert_eq!(refused["userErrors"][0]["code"], "NOT_ORGANIZER");
    let issued = mutate(
        &app,
        &organiser,
        ISSUE,
        json!({ "id": id, "purpose": "CHECK_IN" }),
    )
    .await;
    let code = issued["code"].as_str().expect("a code").to_owned();

    // Only its digest is stored.
    let stored = entities::checkin_code::Entity::find()
        .all(app.db())
        .await
        .expect("query codes");
    assert!(stored.iter().all(|row| row.code_digest != code));

    let wrong = mutate(
        &app,
        &volunteer,
        ATTEND,
        json!({ "id": id, "code": "not-the-code" }),
    )
    .await;
    assert_eq!(
        wrong["userErrors"][0],
        json!({ "field": ["input", "code"], "code": "INVALID_CODE" })
    );
    let stranger = app.person_token(people(&app, 2).await[1]);
    let not_signed = mutate(&app, &stranger, ATTEND, json!({ "id": id, "code": code })).await;
    assert_eq!(
        not_signed["userErrors"][0],
        json!({ "field": ["input", "activityId"], "code": "SIGNUP_NOT_APPROVED" })
    );
    let checked_in = mutate(&app, &volunteer, ATTEND, json!({ "id": id, "code": code })).await;
    assert_eq!(checked_in["signup"]["status"], "CHECKED_IN", "{checked_in}");
    // Twenty minutes pass.
    let signup = signup_of(&app, decoded(&id), volunteer_id).await;
    let mut earlier: activity_signup::ActiveModel = signup.into();
    earlier.checked_in_at = Set(Some(Utc::now() - Duration::minutes(20)));
    earlier.update(app.db()).await.expect("move the check-in");

    // The check-in code does not check out; a check-out code does.
    let check_out = ATTEND.replace("checkInWithCode", "checkOutWithCode");
    let with_in_code = mutate(
        &app,
        &volunteer,
        &check_out,
        json!({ "id": id, "code": code }),
    )
    .await;
    assert_eq!(with_in_code["userErrors"][0]["code"], "INVALID_CODE");
    let out_code = mutate(
        &app,
        &organiser,
        ISSUE,
        json!({ "id": id, "purpose": "CHECK_OUT" }),
    )
    .await;
    let checked_out = mutate(
        &app,
        &volunteer,
        &check_out,
        json!({ "id": id, "code": out_code["code"] }),
    )
    .await;
    assert_eq!(
        checked_out["signup"]["status"], "CHECKED_OUT",
        "{checked_out}"
    );
    let signup = signup_of(&app, decoded(&id), volunteer_id).await;
    // 20 minutes in: one 15-minute unit.
    assert_eq!(record_of(&app, signup.id).await.minutes, 15);
}

/// Organisers on two instances issue a check-in code at the same moment: each issue replaces
/// the code before it, none fails, and exactly one code is left to check in with.
async fn codes_issued_at_once_each_replace_the_last(app: TestApp) {
    let (id, organiser) = published_activity(&app, 5, true).await;
    let volunteer = app.person_token(people(&app, 1).await[0]);
    mutate(&app, &volunteer, SIGN_UP, json!({ "id": id })).await;
    let start = minute(Utc::now()) - Duration::minutes(20);
    reschedule(&app, decoded(&id), start, start + Duration::hours(2)).await;
    let other = app.another_instance().await;
    let issue = json!({ "id": id, "purpose": "CHECK_IN" });
    let issued = futures::future::join_all((0..6).map(|i| {
        let instance = if i % 2 == 0 { &app } else { &other };
        mutate(instance, &organiser, ISSUE, issue.clone())
    }))
    .await;
    let codes: Vec<&str> = issued
        .iter()
        .map(|answer| {
            answer["code"]
                .as_str()
                .unwrap_or_else(|| panic!("a code: {answer}"))
        })
        .collect();
    let mut checked_in = 0;
    for code in codes {
        let answer = mutate(&app, &volunteer, ATTEND, json!({ "id": id, "code": code })).await;
        match answer["userErrors"][0]["code"].as_str() {
            None => checked_in += 1,
            Some(refusal) => assert_eq!(refusal, "INVALID_CODE", "{answer}"),
        }
    }
    assert_eq!(checked_in, 1, "exactly one code is valid");
}
