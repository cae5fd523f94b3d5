//! Service records over HTTP: confirmed records change only by compensating records, service
//! certificates verified by number without personal data, and the points confirmed service
//! earns, which never go negative.

use chrono::{Duration, Utc};
use entities::organization::OrganizationKind;
use entities::service_record::{self, RecordStatus};
use entities::{household, person};
use futures::future::join_all;
use gongzhi::graphql::ids::global_id;
use gongzhi_tests::demo::{QIYI, organization_of, people};
use gongzhi_tests::gql::{decoded, mutate};
use gongzhi_tests::{Role, TestApp, e2e};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};

use super::common::{
    SERVICE_HOURS, SIGN_UP, VOLUNTEERING, attendance, minute, published_activity, record_of,
    reschedule, status_after,
};

e2e!(
    confirmed_records_change_only_by_compensating_records,
    a_certificate_is_verified_by_number_without_personal_data,
    points_are_credited_by_confirmed_service_and_never_go_negative,
    records_confirmed_alone_and_with_their_activity_at_once_earn_points_once,
);

/// A step of one service record, by mutation name.
fn record_step(mutation: &str) -> String {
    format!(
        "mutation($id: ID!) {{ {mutation}(input: {{ recordId: $id }}) {{ record {{ status minutes }} userErrors {{ field code }} }} }}"
    )
}

/// Corrects a service record by `$minutes`, for a checked timesheet.
const CORRECT: &str = r#"mutation($id: ID!, $minutes: Int!) {
    correctServiceRecord(input: { recordId: $id, minutes: $minutes, reason: "timesheet checked" }) {
        record { minutes status reason corrects { id } }
        userErrors { field code }
    }
}"#;

async fn confirmed_records_change_only_by_compensating_records(app: TestApp) {
    let (id, organiser) = published_activity(&app, 5, true).await;
    let volunteer_id = people(&app, 1).await[0];
    let signed = mutate(
        &app,
        &app.person_token(volunteer_id),
        SIGN_UP,
        json!({ "id": id }),
    )
    .await;
    let signup_id = signed["signup"]["id"].clone();
    let start = minute(Utc::now()) - Duration::hours(3);
    reschedule(&app, decoded(&id), start, start + Duration::hours(2)).await;
    mutate(
        &app,
        &organiser,
        &attendance("checkInVolunteer"),
        json!({ "id": signup_id, "at": start }),
    )
    .await;
    mutate(
        &app,
        &organiser,
        &attendance("checkOutVolunteer"),
        json!({ "id": signup_id, "at": start + Duration::minutes(60) }),
    )
    .await;
    let record = record_of(&app, decoded(&signup_id)).await;
    let record_id = json!(global_id("ServiceRecord", record.id));

    let staff = app.staff_token(Role::CommunityStaff, QIYI).await;
    let by_staff = mutate(
        &app,
        &staff,
        &record_step("confirmServiceRecord"),
        json!({ "id": record_id }),
    )
    .await;
    assert_eq!(
        by_staff["userErrors"][0]["code"],
        "NOT_RECORDING_ORGANIZATION"
    );
    let pending = mutate(
        &app,
        &organiser,
        CORRECT,
        json!({ "id": record_id, "minutes": -15 }),
    )
    .await;
    assert_eq!(pending["userErrors"][0]["code"], "RECORD_NOT_CONFIRMED");
    let confirmed = mutate(
        &app,
        &organiser,
        &record_step("confirmServiceRecord"),
        json!({ "id": record_id }),
    )
    .await;
    assert_eq!(
        confirmed["record"],
        json!({ "status": "CONFIRMED", "minutes": 60 })
    );
    let twice = mutate(
        &app,
        &organiser,
        &record_step("confirmServiceRecord"),
        json!({ "id": record_id }),
    )
    .await;
    assert_eq!(twice["userErrors"][0]["code"], "RECORD_CONFIRMED");

    let by_staff = mutate(
        &app,
        &staff,
        CORRECT,
        json!({ "id": record_id, "minutes": -15 }),
    )
    .await;
    assert_eq!(
        by_staff["userErrors"][0]["code"],
        "NOT_RECORDING_ORGANIZATION"
    );
    let corrected = mutate(
        &app,
        &organiser,
        CORRECT,
        json!({ "id": record_id, "minutes": -15 }),
    )
    .await;
    assert_eq!(
        corrected["record"],
        json!({ "minutes": -15, "status": "CONFIRMED", "reason": "timesheet checked", "corrects": { "id": record_id } })
    );
    let negative = mutate(
        &app,
        &organiser,
        CORRECT,
        json!({ "id": record_id, "minutes": -46 }),
    )
    .await;
    assert_eq!(
        negative["userErrors"][0],
        json!({ "field": ["input", "minutes"], "code": "NEGATIVE_TOTAL" })
    );
    // Two scheduled hours plus 30 minutes' tolerance: 150 minutes at most, 45 credited so far.
    let beyond = mutate(
        &app,
        &organiser,
        CORRECT,
        json!({ "id": record_id, "minutes": 106 }),
    )
    .await;
    assert_eq!(beyond["userErrors"][0]["code"], "EXCEEDS_SCHEDULE");
    let topped_up = mutate(
        &app,
        &organiser,
        CORRECT,
        json!({ "id": record_id, "minutes": 105 }),
    )
    .await;
    assert_eq!(topped_up["userErrors"], json!([]));
    let empty = mutate(
        &app,
        &organiser,
        CORRECT,
        json!({ "id": record_id, "minutes": 0 }),
    )
    .await;
    assert_eq!(empty["userErrors"][0]["code"], "EMPTY_CORRECTION");

    // The original is untouched; the corrections sum up on top of it.
    let original = record_of(&app, decoded(&signup_id)).await;
    assert_eq!(
        (original.minutes, original.status, original.corrects_id),
        (60, RecordStatus::Confirmed, None)
    );
    let minutes: Vec<i32> = service_record::Entity::find()
        .filter(service_record::Column::SignupId.eq(decoded(&signup_id)))
        .order_by_asc(service_record::Column::Id)
        .select_only()
        .column(service_record::Column::Minutes)
        .into_tuple()
        .all(app.db())
        .await
        .expect("query records");
    assert_eq!(minutes, [60, -15, 105]);

    // The volunteer's confirmed hours add the corrections to the original.
    let volunteer = app.person_token(volunteer_id);
    let hours = app
        .query_as(
            Some(&volunteer),
            SERVICE_HOURS,
            json!({ "id": global_id("Person", volunteer_id) }),
        )
        .await;
    let china = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let month = start.with_timezone(&china).format("%Y-%m").to_string();
    assert_eq!(
        hours["serviceHours"],
        json!({
            "totalMinutes": 150,
            "byMonth": [{ "month": month, "minutes": 150 }],
            "byArea": [{ "area": "ELDERLY_CARE_MEDICAL", "minutes": 150 }],
            "byOrganization": [{ "organization": { "id": global_id("Organization", record.organization_id) }, "minutes": 150 }],
        })
    );
}

async fn a_certificate_is_verified_by_number_without_personal_data(app: TestApp) {
    let (id, organiser) = published_activity(&app, 5, true).await;
    let volunteer_id = people(&app, 1).await[0];
    let signed = mutate(
        &app,
        &app.person_token(volunteer_id),
        SIGN_UP,
        json!({ "id": id }),
    )
    .await;
    let signup_id = signed["signup"]["id"].clone();
    let start = minute(Utc::now()) - Duration::hours(3);
    reschedule(&app, decoded(&id), start, start + Duration::hours(2)).await;
    mutate(
        &app,
        &organiser,
        &attendance("checkInVolunteer"),
        json!({ "id": signup_id, "at": start }),
    )
    .await;
    mutate(
        &app,
        &organiser,
        &attendance("checkOutVolunteer"),
        json!({ "id": signup_id, "at": start + Duration::minutes(60) }),
    )
    .await;
    let record = record_of(&app, decoded(&signup_id)).await;
    let record_id = json!(global_id("ServiceRecord", record.id));
    const ISSUE: &str = r#"mutation($id: ID!, $from: DateTime!, $to: DateTime!) {
        issueServiceCertificate(input: { volunteerId: $id, from: $from, to: $to }) {
            certificate { number totalMinutes }
            userErrors { field code }
        }
    }"#;
    let period = json!({ "id": global_id("Person", volunteer_id), "from": start - Duration::days(1), "to": start + Duration::days(1) });

    // Only confirmed service counts.
    let unconfirmed = mutate(&app, &organiser, ISSUE, period.clone()).await;
    assert_eq!(
        unconfirmed["userErrors"],
        json!([{ "field": ["input", "volunteerId"], "code": "NO_CONFIRMED_SERVICE" }])
    );
    mutate(
        &app,
        &organiser,
        &record_step("confirmServiceRecord"),
        json!({ "id": record_id }),
    )
    .await;
    mutate(
        &app,
        &organiser,
        CORRECT,
        json!({ "id": record_id, "minutes": 30 }),
    )
    .await;

    let backwards = json!({ "id": period["id"], "from": period["to"], "to": period["from"] });
    let invalid = mutate(&app, &organiser, ISSUE, backwards).await;
    assert_eq!(invalid["userErrors"][0]["code"], "INVALID_PERIOD");
    let by_person = mutate(&app, &app.person_token(volunteer_id), ISSUE, period.clone()).await;
    assert_eq!(by_person["userErrors"][0]["code"], "NOT_ORGANIZER");
    let other = app.client_token(
        organization_of(&app, OrganizationKind::Business).await.id,
        VOLUNTEERING,
    );
    let elsewhere = mutate(&app, &other, ISSUE, period.clone()).await;
    assert_eq!(elsewhere["userErrors"][0]["code"], "NO_CONFIRMED_SERVICE");

    let issued = mutate(&app, &organiser, ISSUE, period).await;
    assert_eq!(issued["certificate"]["totalMinutes"], 90, "{issued}");
    let number = issued["certificate"]["number"].clone();

    const VERIFY: &str = r#"query($number: String!) {
        verifyServiceCertificate(number: $number) {
            number organization { id } periodFrom totalMinutes
            services { activityTitle area startedAt endedAt minutes }
        }
    }"#;
    let verified = app.query(VERIFY, json!({ "number": number })).await;
    assert_eq!(
        verified["verifyServiceCertificate"],
        json!({
            "number": number,
            "organization": { "id": global_id("Organization", record.organization_id) },
            "periodFrom": (start - Duration::days(1)).to_rfc3339(),
            "totalMinutes": 90,
            "services": [{
                "activityTitle": "敬老院陪伴",
                "area": "ELDERLY_CARE_MEDICAL",
                "startedAt": start.to_rfc3339(),
                "endedAt": (start + Duration::minutes(60)).to_rfc3339(),
                "minutes": 90,
            }],
        })
    );
    let unknown = app
        .query(VERIFY, json!({ "number": "GZnot-a-number" }))
        .await;
    assert_eq!(unknown["verifyServiceCertificate"], Value::Null);
}

async fn points_are_credited_by_confirmed_service_and_never_go_negative(app: TestApp) {
    let (id, organiser) = published_activity(&app, 5, true).await;
    let homes = household::Entity::find()
        .filter(household::Column::CommunityId.eq(app.unit_by_code(QIYI).await.id))
        .select_only()
        .column(household::Column::Id)
        .into_tuple::<i64>()
        .all(app.db())
        .await
        .expect("query households");
    let volunteer_id = person::Entity::find()
        .filter(person::Column::HouseholdId.is_in(homes))
        .order_by_asc(person::Column::Id)
        .one(app.db())
        .await
        .expect("query people")
        .expect("a resident of 七一社区")
        .id;
    let volunteer = app.person_token(volunteer_id);
    let person_id = json!(global_id("Person", volunteer_id));
    let signed = mutate(&app, &volunteer, SIGN_UP, json!({ "id": id })).await;
    let signup_id = signed["signup"]["id"].clone();
    let start = minute(Utc::now()) - Duration::hours(3);
    reschedule(&app, decoded(&id), start, start + Duration::hours(2)).await;
    mutate(
        &app,
        &organiser,
        &attendance("checkInVolunteer"),
        json!({ "id": signup_id, "at": start }),
    )
    .await;
    mutate(
        &app,
        &organiser,
        &attendance("checkOutVolunteer"),
        json!({ "id": signup_id, "at": start + Duration::minutes(60) }),
    )
    .await;
    let record_id = json!(global_id(
        "ServiceRecord",
        record_of(&app, decoded(&signup_id)).await.id
    ));

    const POINTS: &str = r#"query($id: ID!) { volunteerPoints(volunteer: $id) { balance entries { points balance } } }"#;
    let balance = |data: Value| data["volunteerPoints"]["balance"].clone();
    // Pending service earns nothing yet; confirmed, ten points an hour by default.
    assert_eq!(
        balance(
            app.query_as(Some(&volunteer), POINTS, json!({ "id": person_id }))
                .await
        ),
        0
    );
    mutate(
        &app,
        &organiser,
        &record_step("confirmServiceRecord"),
        json!({ "id": record_id }),
    )
    .await;
    assert_eq!(
        balance(
            app.query_as(Some(&volunteer), POINTS, json!({ "id": person_id }))
                .await
        ),
        10
    );

    const REDEEM: &str = r#"mutation($id: ID!, $points: Int!) {
        redeemVolunteerPoints(input: { volunteerId: $id, points: $points, note: "大米一袋" }) {
            entry { points balance }
            userErrors { field code }
        }
    }"#;
    let staff = app.staff_token(Role::CommunityStaff, QIYI).await;
    let by_volunteer = mutate(
        &app,
        &volunteer,
        REDEEM,
        json!({ "id": person_id, "points": 1 }),
    )
    .await;
    assert_eq!(by_volunteer["userErrors"][0]["code"], "NOT_PERMITTED");
    let nothing = mutate(
        &app,
        &staff,
        REDEEM,
        json!({ "id": person_id, "points": 0 }),
    )
    .await;
    assert_eq!(
        nothing["userErrors"][0],
        json!({ "field": ["input", "points"], "code": "INVALID_POINTS" })
    );

    // Five concurrent redemptions of 3 from 10: three go through, and the balance holds.
    let answers = join_all((0..5).map(|_| {
        mutate(
            &app,
            &staff,
            REDEEM,
            json!({ "id": person_id, "points": 3 }),
        )
    }))
    .await;
    let redeemed = answers
        .iter()
        .filter(|answer| answer["userErrors"] == json!([]))
        .count();
    let refused = answers
        .iter()
        .filter(|answer| answer["userErrors"][0]["code"] == "INSUFFICIENT_POINTS")
        .count();
    assert_eq!((redeemed, refused), (3, 2), "{answers:?}");

    // Taking back half an hour would debit 5 points; only the 1 left is taken.
    mutate(
        &app,
        &organiser,
        CORRECT,
        json!({ "id": record_id, "minutes": -30 }),
    )
    .await;
    let account = app
        .query_as(Some(&staff), POINTS, json!({ "id": person_id }))
        .await;
    assert_eq!(
        account["volunteerPoints"],
        json!({
            "balance": 0,
            "entries": [
                { "points": -1, "balance": 0 },
                { "points": -3, "balance": 1 },
                { "points": -3, "balance": 4 },
                { "points": -3, "balance": 7 },
                { "points": 10, "balance": 10 },
            ],
        })
    );
    let overdrawn = mutate(
        &app,
        &staff,
        REDEEM,
        json!({ "id": person_id, "points": 1 }),
    )
    .await;
    assert_eq!(overdrawn["userErrors"][0]["code"], "INSUFFICIENT_POINTS");
}

/// The organiser confirms an ended activity's records all at once while, on another instance,
/// each record is confirmed on its own: every record is confirmed once and earns its points
/// once.
async fn records_confirmed_alone_and_with_their_activity_at_once_earn_points_once(app: TestApp) {
    let (id, organiser) = published_activity(&app, 5, true).await;
    let activity_id = decoded(&id);
    let volunteers = people(&app, 4).await;
    let mut signups = Vec::new();
    for volunteer in &volunteers {
        let signed = mutate(
            &app,
            &app.person_token(*volunteer),
            SIGN_UP,
            json!({ "id": id }),
        )
        .await;
        signups.push(signed["signup"]["id"].clone());
    }
    let start = minute(Utc::now()) - Duration::hours(1);
    reschedule(&app, activity_id, start, start + Duration::hours(2)).await;
    assert_eq!(
        status_after(&app, &organiser, "startVolunteerActivity", &id).await,
        "IN_PROGRESS"
    );
    let mut records = Vec::new();
    for signup in &signups {
        for (step, at) in [
            ("checkInVolunteer", start),
            ("checkOutVolunteer", start + Duration::hours(1)),
        ] {
            mutate(
                &app,
                &organiser,
                &attendance(step),
                json!({ "id": signup, "at": at }),
            )
            .await;
        }
        records.push(record_of(&app, decoded(signup)).await.id);
    }
    assert_eq!(
        status_after(&app, &organiser, "endVolunteerActivity", &id).await,
        "ENDED"
    );

    let other = app.another_instance().await;
    let confirm_all = async { status_after(&app, &organiser, "confirmActivityRecords", &id).await };
    let confirm = record_step("confirmServiceRecord");
    let confirm_each = join_all(records.iter().map(|record| {
        mutate(
            &other,
            &organiser,
            &confirm,
            json!({ "id": global_id("ServiceRecord", *record) }),
        )
    }));
    let (all, each) = futures::join!(confirm_all, confirm_each);
    assert_eq!(all, "RECORDS_CONFIRMED");
    for answer in &each {
        let code = &answer["userErrors"][0]["code"];
        assert!(code.is_null() || code == "RECORD_CONFIRMED", "{answer}");
    }
    for record in records {
        let credits = entities::points_entry::Entity::find()
            .filter(entities::points_entry::Column::ServiceRecordId.eq(record))
            .count(app.db())
            .await
            .expect("count points");
        assert_eq!(credits, 1, "record {record} earned points {credits} times");
    }
}
