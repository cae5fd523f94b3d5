//! Volunteer activities over HTTP: every lifecycle step by role, from a partner's draft through
//! approval to confirmed records, cancelling before the start, and invalid input reported field
//! by field.

use chrono::{Duration, Utc};
use entities::activity_signup::SignupStatus;
use entities::organization::OrganizationKind;
use entities::service_centre;
use entities::service_record::RecordStatus;
use gongzhi::auth::Scope;
use gongzhi::graphql::ids::global_id;
use gongzhi_tests::demo::{QIYI, organization_of, people};
use gongzhi_tests::gql::{decoded, mutate};
use gongzhi_tests::{Role, TestApp, e2e};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use super::common::{
    CREATE, SIGN_UP, VOLUNTEERING, actions, activity_input, attendance, create, minute,
    published_activity, record_of, reschedule, signup_of, status_after, step,
};

e2e!(
    a_partner_activity_goes_from_draft_to_confirmed_records,
    community_activities_publish_directly_and_cancel_only_before_the_start,
    invalid_activities_are_reported_field_by_field,
);

async fn a_partner_activity_goes_from_draft_to_confirmed_records(app: TestApp) {
    let partner = organization_of(&app, OrganizationKind::SocialOrganization).await;
    let organiser = app.client_token(partner.id, VOLUNTEERING);
    let staff = app.staff_token(Role::CommunityStaff, QIYI).await;
    let created = create(&app, &organiser, json!({ "selfScheduling": true })).await;
    assert_eq!(created["userErrors"], json!([]));
    assert_eq!(created["activity"]["status"], "DRAFT");
    let id = created["activity"]["id"].clone();
    let activity_id = decoded(&id);

    // Only the community's staff approve; a partner's activity waits for them.
    assert_eq!(
        refusal(&app, &organiser, "approveVolunteerActivity", &id).await,
        "NOT_PERMITTED"
    );
    assert_eq!(
        refusal(&app, &staff, "publishVolunteerActivity", &id).await,
        "NOT_ORGANIZER"
    );
    assert_eq!(
        status_after(&app, &organiser, "publishVolunteerActivity", &id).await,
        "PENDING_APPROVAL"
    );
    assert_eq!(
        refusal(&app, &organiser, "publishVolunteerActivity", &id).await,
        "ACTIVITY_NOT_DRAFT"
    );
    assert_eq!(
        status_after(&app, &staff, "returnVolunteerActivity", &id).await,
        "DRAFT"
    );
    assert_eq!(
        refusal(&app, &staff, "approveVolunteerActivity", &id).await,
        "ACTIVITY_NOT_PENDING_APPROVAL"
    );
    assert_eq!(
        status_after(&app, &organiser, "publishVolunteerActivity", &id).await,
        "PENDING_APPROVAL"
    );
    assert_eq!(
        status_after(&app, &staff, "approveVolunteerActivity", &id).await,
        "PUBLISHED"
    );

    let [present, absent]: [i64; 2] = people(&app, 2).await.try_into().expect("two people");
    for volunteer in [present, absent] {
        let signed = mutate(
            &app,
            &app.person_token(volunteer),
            SIGN_UP,
            json!({ "id": id }),
        )
        .await;
        assert_eq!(signed["signup"]["status"], "APPROVED", "{signed}");
    }
    assert_eq!(
        refusal(&app, &organiser, "endVolunteerActivity", &id).await,
        "ACTIVITY_NOT_IN_PROGRESS"
    );
    assert_eq!(
        refusal(&app, &staff, "closeActivityRecruitment", &id).await,
        "NOT_ORGANIZER"
    );
    assert_eq!(
        status_after(&app, &organiser, "closeActivityRecruitment", &id).await,
        "RECRUITMENT_CLOSED"
    );
    assert_eq!(
        refusal(&app, &organiser, "closeActivityRecruitment", &id).await,
        "ACTIVITY_NOT_PUBLISHED"
    );
    assert_eq!(
        refusal(&app, &organiser, "startVolunteerActivity", &id).await,
        "TOO_EARLY"
    );

    // The day comes: it runs from an hour ago for two hours.
    let start = minute(Utc::now()) - Duration::hours(1);
    reschedule(&app, activity_id, start, start + Duration::hours(2)).await;
    assert_eq!(
        refusal(&app, &organiser, "confirmActivityRecords", &id).await,
        "ACTIVITY_NOT_ENDED"
    );
    assert_eq!(
        status_after(&app, &organiser, "startVolunteerActivity", &id).await,
        "IN_PROGRESS"
    );
    assert_eq!(
        refusal(&app, &organiser, "cancelVolunteerActivity", &id).await,
        "ACTIVITY_NOT_CANCELLABLE"
    );
    assert_eq!(
        refusal(&app, &organiser, "startVolunteerActivity", &id).await,
        "ACTIVITY_NOT_SCHEDULED"
    );

    let signup = signup_of(&app, activity_id, present).await;
    let signup_id = json!(global_id("ActivitySignup", signup.id));
    let checked_in = mutate(
        &app,
        &organiser,
        &attendance("checkInVolunteer"),
        json!({ "id": signup_id, "at": start }),
    )
    .await;
    assert_eq!(checked_in["signup"]["status"], "CHECKED_IN", "{checked_in}");
    let out_at = start + Duration::minutes(50);
    let checked_out = mutate(
        &app,
        &organiser,
        &attendance("checkOutVolunteer"),
        json!({ "id": signup_id, "at": out_at }),
    )
    .await;
    assert_eq!(
        checked_out["signup"]["status"], "CHECKED_OUT",
        "{checked_out}"
    );
    let record = record_of(&app, signup.id).await;
    // 50 minutes, rounded down to the default 15-minute unit.
    assert_eq!((record.minutes, record.status), (45, RecordStatus::Pending));
    assert_eq!(
        (record.person_id, record.organization_id),
        (present, partner.id)
    );

    assert_eq!(
        status_after(&app, &organiser, "endVolunteerActivity", &id).await,
        "ENDED"
    );
    assert_eq!(
        signup_of(&app, activity_id, absent).await.status,
        SignupStatus::NoShow
    );
    assert_eq!(
        status_after(&app, &organiser, "confirmActivityRecords", &id).await,
        "RECORDS_CONFIRMED"
    );
    assert_eq!(
        record_of(&app, signup.id).await.status,
        RecordStatus::Confirmed
    );

    assert_eq!(
        actions(&app, "volunteer_activity", activity_id).await,
        [
            "create_volunteer_activity",
            "publish_volunteer_activity",
            "return_volunteer_activity",
            "publish_volunteer_activity",
            "approve_volunteer_activity",
            "close_activity_recruitment",
            "start_volunteer_activity",
            "end_volunteer_activity",
            "confirm_activity_records",
        ]
    );
}

async fn community_activities_publish_directly_and_cancel_only_before_the_start(app: TestApp) {
    let (id, organiser) = published_activity(&app, 3, true).await;
    let volunteer = people(&app, 1).await[0];
    let signed = mutate(
        &app,
        &app.person_token(volunteer),
        SIGN_UP,
        json!({ "id": id }),
    )
    .await;
    assert_eq!(signed["signup"]["status"], "APPROVED");
    let other_organiser = app.client_token(
        organization_of(&app, OrganizationKind::Business).await.id,
        VOLUNTEERING,
    );
    assert_eq!(
        refusal(&app, &other_organiser, "cancelVolunteerActivity", &id).await,
        "NOT_ORGANIZER"
    );
    assert_eq!(
        status_after(&app, &organiser, "cancelVolunteerActivity", &id).await,
        "CANCELLED"
    );
    assert_eq!(
        refusal(&app, &organiser, "cancelVolunteerActivity", &id).await,
        "ACTIVITY_NOT_CANCELLABLE"
    );
    assert_eq!(
        signup_of(&app, decoded(&id), volunteer).await.status,
        SignupStatus::Cancelled
    );

    // Once its start has passed, an activity is no longer cancelled, whatever its status.
    let (late, organiser) = published_activity(&app, 3, true).await;
    let start = minute(Utc::now()) - Duration::minutes(5);
    reschedule(&app, decoded(&late), start, start + Duration::hours(1)).await;
    assert_eq!(
        refusal(&app, &organiser, "cancelVolunteerActivity", &late).await,
        "ACTIVITY_ALREADY_STARTED"
    );
}

async fn invalid_activities_are_reported_field_by_field(app: TestApp) {
    let partner = organization_of(&app, OrganizationKind::SocialOrganization).await;
    let organiser = app.client_token(partner.id, VOLUNTEERING);
    let starts = minute(Utc::now()) + Duration::days(400);
    let created = create(
        &app,
        &organiser,
        json!({
            "endsAt": starts - Duration::hours(1),
            "signupOpensAt": starts - Duration::days(1),
            "signupClosesAt": starts + Duration::hours(1),
            "capacity": 0,
            "centreId": null,
            "place": null,
            "area": null,
        }),
    )
    .await;
    assert_eq!(created["activity"], Value::Null);
    let errors: Vec<(Value, Value)> = created["userErrors"]
        .as_array()
        .expect("user errors")
        .iter()
        .map(|error| (error["field"].clone(), error["code"].clone()))
        .collect();
    assert_eq!(
        errors,
        [
            (json!(["input", "endsAt"]), json!("INVALID_WINDOW")),
            (
                json!(["input", "signupClosesAt"]),
                json!("INVALID_SIGNUP_WINDOW")
            ),
            (json!(["input", "capacity"]), json!("INVALID_CAPACITY")),
            (json!(["input", "place"]), json!("PLACE_REQUIRED")),
            (json!(["input", "area"]), json!("CATEGORY_REQUIRED")),
        ]
    );

    let past = create(
        &app,
        &organiser,
        json!({ "startsAt": Utc::now() - Duration::hours(1) }),
    )
    .await;
    assert_eq!(past["userErrors"][0]["field"], json!(["input", "startsAt"]));
    assert_eq!(past["userErrors"][0]["code"], "INVALID_WINDOW");

    let elsewhere = service_centre::Entity::find()
        .filter(service_centre::Column::CommunityId.ne(app.unit_by_code(QIYI).await.id))
        .one(app.db())
        .await
        .expect("query centres")
        .expect("a centre in another community");
    let wrong_centre = create(
        &app,
        &organiser,
        json!({ "centreId": global_id("ServiceCentre", elsewhere.id) }),
    )
    .await;
    assert_eq!(
        wrong_centre["userErrors"][0]["code"],
        "CENTRE_NOT_IN_COMMUNITY"
    );

    let volunteer = app.person_token(people(&app, 1).await[0]);
    let by_person = create(&app, &volunteer, json!({})).await;
    assert_eq!(
        by_person["userErrors"],
        json!([{ "field": ["input"], "code": "NOT_ORGANIZER", "message": "only the organising organisation may do this" }])
    );

    let without_scope = app.client_token(partner.id, &[Scope::VolunteeringRead]);
    let (_, errors) = app
        .errors(
            Some(&without_scope),
            CREATE,
            json!({ "input": activity_input(&app, json!({})).await }),
        )
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "FORBIDDEN");
}

/// The code a lifecycle step is refused with; the activity is returned unchanged.
async fn refusal(app: &TestApp, token: &str, mutation: &str, id: &Value) -> Value {
    let payload = mutate(app, token, &step(mutation), json!({ "id": id })).await;
    let code = payload["userErrors"][0]["code"].clone();
    // Refusals of the caller are about the input as a whole; those of the activity's state
    // name the activity.
    let field = if code == "NOT_ORGANIZER" || code == "NOT_PERMITTED" {
        json!(["input"])
    } else {
        json!(["input", "activityId"])
    };
    assert_eq!(
        payload["userErrors"][0]["field"], field,
        "{mutation}: {payload}"
    );
    code
}
