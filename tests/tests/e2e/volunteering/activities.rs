//! Volunteer activities over HTTP: every lifecycle step by role, sign-ups whose capacity holds
//! under concurrency, overlap refusal, attendance and the hours it earns, and corrections.

use chrono::{DateTime, Duration, DurationRound, Utc};
use entities::activity_signup::{self, SignupStatus};
use entities::organization::{self, OrganizationKind};
use entities::service_record::{self, RecordStatus};
use entities::volunteer_activity;
use entities::{admin_unit, audit_log, household, party_member, person, service_centre};
use futures::future::join_all;
use gongzhi::auth::{Grant, PrincipalKind, Scope, Subject};
use gongzhi::graphql::ids::global_id;
use gongzhi_tests::{Role, TestApp, e2e};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::{Value, json};

e2e!(
    a_partner_activity_goes_from_draft_to_confirmed_records,
    community_activities_publish_directly_and_cancel_only_before_the_start,
    invalid_activities_are_reported_field_by_field,
    capacity_holds_under_concurrent_signups,
    a_freed_place_goes_to_the_first_waitlisted,
    organisers_approve_applications_while_places_are_free,
    overlapping_signups_are_refused,
    hours_are_rounded_capped_and_kept_inside_the_window,
    volunteers_check_in_and_out_with_the_organisers_code,
    confirmed_records_change_only_by_compensating_records,
    a_certificate_is_verified_by_number_without_personal_data,
    points_are_credited_by_confirmed_service_and_never_go_negative,
);

/// The scopes of a partner's volunteering integration.
const VOLUNTEERING: &[Scope] = &[Scope::VolunteeringRead, Scope::VolunteeringWrite];

/// 七一社区.
const QIYI: &str = "411002001001";

const CREATE: &str = r#"mutation($input: CreateVolunteerActivityInput!) {
    createVolunteerActivity(input: $input) {
        activity { id status }
        userErrors { field message code }
    }
}"#;

const SIGN_UP: &str = r#"mutation($id: ID!) {
    signUpForActivity(input: { activityId: $id }) {
        signup { id status }
        userErrors { field code }
    }
}"#;

/// A lifecycle mutation of an activity, by name.
fn step(mutation: &str) -> String {
    format!(
        "mutation($id: ID!) {{ {mutation}(input: {{ activityId: $id }}) {{ activity {{ status }} userErrors {{ field code }} }} }}"
    )
}

fn signup_step(mutation: &str) -> String {
    format!(
        "mutation($id: ID!) {{ {mutation}(input: {{ signupId: $id }}) {{ signup {{ status }} userErrors {{ field code }} }} }}"
    )
}

fn attendance(mutation: &str) -> String {
    format!(
        "mutation($id: ID!, $at: DateTime) {{ {mutation}(input: {{ signupId: $id, at: $at }}) {{ signup {{ status checkedInAt checkedOutAt }} userErrors {{ field code }} }} }}"
    )
}

fn record_step(mutation: &str) -> String {
    format!(
        "mutation($id: ID!) {{ {mutation}(input: {{ recordId: $id }}) {{ record {{ status minutes }} userErrors {{ field code }} }} }}"
    )
}

const CORRECT: &str = r#"mutation($id: ID!, $minutes: Int!) {
    correctServiceRecord(input: { recordId: $id, minutes: $minutes, reason: "timesheet checked" }) {
        record { minutes status reason corrects { id } }
        userErrors { field code }
    }
}"#;

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

    let recorded: Vec<String> = audit_log::Entity::find()
        .filter(audit_log::Column::EntityType.eq("volunteer_activity"))
        .filter(audit_log::Column::EntityId.eq(activity_id))
        .order_by_asc(audit_log::Column::Id)
        .all(app.db())
        .await
        .expect("query the audit log")
        .into_iter()
        .map(|entry| entry.action)
        .collect();
    assert_eq!(
        recorded,
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
        .filter(service_centre::Column::CommunityId.ne(qiyi(&app).await.id))
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

    let without_scope = app.token(Subject {
        sub: format!("dev:client-{}", partner.id),
        kind: PrincipalKind::Client,
        org: Some(partner.id),
        person: None,
        grants: Vec::new(),
        scopes: vec![Scope::VolunteeringRead.as_str().to_owned()],
    });
    let (_, errors) = app
        .errors(
            Some(&without_scope),
            CREATE,
            json!({ "input": activity_input(&app, json!({})).await }),
        )
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "FORBIDDEN");
}

async fn capacity_holds_under_concurrent_signups(app: TestApp) {
    const CAPACITY: usize = 10;
    let (id, _) = published_activity(&app, CAPACITY as i32, true).await;
    let volunteers = people(&app, CAPACITY + 20).await;
    let tokens: Vec<String> = volunteers
        .iter()
        .map(|volunteer| app.person_token(*volunteer))
        .collect();
    let answers = join_all(
        tokens
            .iter()
            .map(|token| mutate(&app, token, SIGN_UP, json!({ "id": id }))),
    )
    .await;
    let approved = answers
        .iter()
        .filter(|answer| answer["signup"]["status"] == "APPROVED")
        .count();
    let waitlisted = answers
        .iter()
        .filter(|answer| answer["signup"]["status"] == "WAITLISTED")
        .count();
    assert_eq!((approved, waitlisted), (CAPACITY, 20), "{answers:?}");

    let count = |status: SignupStatus| {
        activity_signup::Entity::find()
            .filter(activity_signup::Column::ActivityId.eq(decoded(&id)))
            .filter(activity_signup::Column::Status.eq(status))
            .count(app.db())
    };
    assert_eq!(
        count(SignupStatus::Approved).await.expect("count"),
        CAPACITY as u64
    );
    assert_eq!(count(SignupStatus::Waitlisted).await.expect("count"), 20);
}

async fn a_freed_place_goes_to_the_first_waitlisted(app: TestApp) {
    let (id, organiser) = published_activity(&app, 1, true).await;
    let [first, second, third]: [i64; 3] = people(&app, 3).await.try_into().expect("three people");
    let mut signups = Vec::new();
    for volunteer in [first, second, third] {
        let signed = mutate(
            &app,
            &app.person_token(volunteer),
            SIGN_UP,
            json!({ "id": id }),
        )
        .await;
        signups.push(signed["signup"]["id"].clone());
    }
    assert_eq!(
        signup_of(&app, decoded(&id), second).await.status,
        SignupStatus::Waitlisted
    );
    let again = mutate(&app, &app.person_token(first), SIGN_UP, json!({ "id": id })).await;
    assert_eq!(again["userErrors"][0]["code"], "ALREADY_SIGNED_UP");

    // Somebody else's sign-up is not the caller's to cancel: another volunteer does not even
    // see it, and the community's staff see it but do not hold it.
    let (_, errors) = app
        .errors(
            Some(&app.person_token(second)),
            &signup_step("cancelSignup"),
            json!({ "id": signups[0] }),
        )
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND");
    let staff = app.staff_token(Role::CommunityStaff, QIYI).await;
    let by_staff = mutate(
        &app,
        &staff,
        &signup_step("cancelSignup"),
        json!({ "id": signups[0] }),
    )
    .await;
    assert_eq!(by_staff["userErrors"][0]["code"], "NOT_SIGNUP_HOLDER");

    let cancelled = mutate(
        &app,
        &app.person_token(first),
        &signup_step("cancelSignup"),
        json!({ "id": signups[0] }),
    )
    .await;
    assert_eq!(cancelled["signup"]["status"], "CANCELLED");
    assert_eq!(
        signup_of(&app, decoded(&id), second).await.status,
        SignupStatus::Approved
    );
    assert_eq!(
        signup_of(&app, decoded(&id), third).await.status,
        SignupStatus::Waitlisted
    );
    let twice = mutate(
        &app,
        &app.person_token(first),
        &signup_step("cancelSignup"),
        json!({ "id": signups[0] }),
    )
    .await;
    assert_eq!(twice["userErrors"][0]["code"], "SIGNUP_NOT_CANCELLABLE");

    // The organiser may cancel too, but not after the sign-up deadline.
    let activity = volunteer_activity::Entity::find_by_id(decoded(&id))
        .one(app.db())
        .await
        .expect("query")
        .expect("the activity");
    let mut closed: volunteer_activity::ActiveModel = activity.into();
    closed.signup_closes_at = Set(Utc::now() - Duration::minutes(1));
    closed.signup_opens_at = Set(Utc::now() - Duration::days(1));
    closed.update(app.db()).await.expect("move the deadline");
    let late = mutate(
        &app,
        &organiser,
        &signup_step("cancelSignup"),
        json!({ "id": signups[1] }),
    )
    .await;
    assert_eq!(
        late["userErrors"][0],
        json!({ "field": ["input", "signupId"], "code": "CANCEL_DEADLINE_PASSED" })
    );
    let closed_signup = mutate(
        &app,
        &app.person_token(people(&app, 4).await[3]),
        SIGN_UP,
        json!({ "id": id }),
    )
    .await;
    assert_eq!(closed_signup["userErrors"][0]["code"], "SIGNUP_CLOSED");
}

async fn organisers_approve_applications_while_places_are_free(app: TestApp) {
    let (id, organiser) = published_activity(&app, 1, false).await;
    let [first, second]: [i64; 2] = people(&app, 2).await.try_into().expect("two people");
    let applied = mutate(&app, &app.person_token(first), SIGN_UP, json!({ "id": id })).await;
    assert_eq!(applied["signup"]["status"], "APPLIED");
    let other = mutate(
        &app,
        &app.person_token(second),
        SIGN_UP,
        json!({ "id": id }),
    )
    .await;
    assert_eq!(other["signup"]["status"], "APPLIED");

    let approve = signup_step("approveActivitySignup");
    let by_volunteer = mutate(
        &app,
        &app.person_token(first),
        &approve,
        json!({ "id": applied["signup"]["id"] }),
    )
    .await;
    assert_eq!(by_volunteer["userErrors"][0]["code"], "NOT_ORGANIZER");
    let approved = mutate(
        &app,
        &organiser,
        &approve,
        json!({ "id": applied["signup"]["id"] }),
    )
    .await;
    assert_eq!(approved["signup"]["status"], "APPROVED");
    let again = mutate(
        &app,
        &organiser,
        &approve,
        json!({ "id": applied["signup"]["id"] }),
    )
    .await;
    assert_eq!(again["userErrors"][0]["code"], "SIGNUP_NOT_PENDING");
    let full = mutate(
        &app,
        &organiser,
        &approve,
        json!({ "id": other["signup"]["id"] }),
    )
    .await;
    assert_eq!(full["userErrors"][0]["code"], "ACTIVITY_FULL");
    // A client is not a volunteer.
    let by_client = mutate(&app, &organiser, SIGN_UP, json!({ "id": id })).await;
    assert_eq!(by_client["userErrors"][0]["code"], "NOT_A_VOLUNTEER");
}

async fn overlapping_signups_are_refused(app: TestApp) {
    let (morning, _) = published_activity(&app, 5, true).await;
    let (overlapping, _) = published_activity(&app, 5, true).await;
    let (later, _) = published_activity(&app, 5, true).await;
    let base = minute(Utc::now()) + Duration::days(300);
    reschedule_future(&app, decoded(&morning), base, base + Duration::hours(3)).await;
    reschedule_future(
        &app,
        decoded(&overlapping),
        base + Duration::hours(2),
        base + Duration::hours(4),
    )
    .await;
    reschedule_future(
        &app,
        decoded(&later),
        base + Duration::hours(3),
        base + Duration::hours(5),
    )
    .await;

    let volunteers = people(&app, 2).await;
    let volunteer = app.person_token(volunteers[0]);
    let held = mutate(&app, &volunteer, SIGN_UP, json!({ "id": morning })).await;
    assert_eq!(held["signup"]["status"], "APPROVED");
    let refused = mutate(&app, &volunteer, SIGN_UP, json!({ "id": overlapping })).await;
    assert_eq!(
        refused,
        json!({ "signup": null, "userErrors": [{ "field": ["input", "activityId"], "code": "OVERLAPPING_SIGNUP" }] })
    );
    // Back to back is no overlap.
    let next = mutate(&app, &volunteer, SIGN_UP, json!({ "id": later })).await;
    assert_eq!(next["signup"]["status"], "APPROVED", "{next}");

    // Nor may an organiser approve a place that would overlap.
    let (strict, strict_organiser) = published_activity(&app, 5, false).await;
    reschedule_future(
        &app,
        decoded(&strict),
        base + Duration::hours(3),
        base + Duration::hours(4),
    )
    .await;
    let second = app.person_token(volunteers[1]);
    let applied = mutate(&app, &second, SIGN_UP, json!({ "id": strict })).await;
    assert_eq!(applied["signup"]["status"], "APPLIED");
    let elsewhere = mutate(&app, &second, SIGN_UP, json!({ "id": overlapping })).await;
    assert_eq!(elsewhere["signup"]["status"], "APPROVED");
    let approve = mutate(
        &app,
        &strict_organiser,
        &signup_step("approveActivitySignup"),
        json!({ "id": applied["signup"]["id"] }),
    )
    .await;
    assert_eq!(approve["userErrors"][0]["code"], "OVERLAPPING_SIGNUP");
}

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

    const ISSUE: &str = r#"mutation($id: ID!, $purpose: CodePurpose!) {
        issueAttendanceCode(input: { activityId: $id, purpose: $purpose }) { code expiresAt userErrors { code } }
    }"#;
    const ATTEND: &str = r#"mutation($id: ID!, $code: String!) {
        checkInWithCode(input: { activityId: $id, code: $code }) { signup { status } userErrors { field code } }
    }"#;
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
        .filter(household::Column::CommunityId.eq(qiyi(&app).await.id))
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

const SERVICE_HOURS: &str = r#"query($id: ID!) {
    serviceHours(volunteer: $id) {
        totalMinutes byMonth { month minutes } byArea { area minutes } byOrganization { organization { id } minutes }
    }
}"#;

// Helpers.

/// Runs a mutation and returns its payload, failing on any top-level error.
async fn mutate(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let data = app.query_as(Some(token), query, variables).await;
    data.as_object()
        .and_then(|fields| fields.values().next())
        .cloned()
        .unwrap_or(Value::Null)
}

/// The status of the activity after a lifecycle step that must succeed.
async fn status_after(app: &TestApp, token: &str, mutation: &str, id: &Value) -> Value {
    let payload = mutate(app, token, &step(mutation), json!({ "id": id })).await;
    assert_eq!(payload["userErrors"], json!([]), "{mutation}: {payload}");
    payload["activity"]["status"].clone()
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

async fn qiyi(app: &TestApp) -> admin_unit::Model {
    admin_unit::Entity::find()
        .filter(admin_unit::Column::Code.eq(QIYI))
        .one(app.db())
        .await
        .expect("query units")
        .expect("the demo district has 七一社区")
}

/// A complete, valid activity input in 七一社区 a year ahead, with `overrides`.
async fn activity_input(app: &TestApp, overrides: Value) -> Value {
    let community = qiyi(app).await;
    let centre = service_centre::Entity::find()
        .filter(service_centre::Column::CommunityId.eq(community.id))
        .one(app.db())
        .await
        .expect("query centres")
        .expect("七一社区 has centres");
    let starts = minute(Utc::now()) + Duration::days(400);
    let mut input = json!({
        "communityId": global_id("AdminUnit", community.id),
        "title": "敬老院陪伴",
        "description": "陪老人聊天、读报",
        "area": "ELDERLY_CARE_MEDICAL",
        "centreId": global_id("ServiceCentre", centre.id),
        "startsAt": starts,
        "endsAt": starts + Duration::hours(2),
        "signupOpensAt": Utc::now() - Duration::hours(1),
        "signupClosesAt": starts - Duration::days(1),
        "capacity": 5,
    });
    if let (Some(input), Some(overrides)) = (input.as_object_mut(), overrides.as_object()) {
        input.extend(overrides.clone());
    }
    input
}

async fn create(app: &TestApp, token: &str, overrides: Value) -> Value {
    let input = activity_input(app, overrides).await;
    mutate(app, token, CREATE, json!({ "input": input })).await
}

/// A published activity of a community's own organisation (no approval needed), and its
/// organiser's token.
async fn published_activity(
    app: &TestApp,
    capacity: i32,
    self_scheduling: bool,
) -> (Value, String) {
    let community = organization_of(app, OrganizationKind::Community).await;
    let organiser = app.token(Subject {
        sub: format!("dev:org-admin-{}", community.id),
        kind: PrincipalKind::Staff,
        org: None,
        person: None,
        grants: vec![Grant {
            role: Role::OrgAdmin,
            unit: None,
            org: Some(community.id),
        }],
        scopes: Vec::new(),
    });
    let created = create(
        app,
        &organiser,
        json!({ "capacity": capacity, "selfScheduling": self_scheduling }),
    )
    .await;
    assert_eq!(created["userErrors"], json!([]), "{created}");
    let id = created["activity"]["id"].clone();
    assert_eq!(
        status_after(app, &organiser, "publishVolunteerActivity", &id).await,
        "PUBLISHED"
    );
    (id, organiser)
}

async fn organization_of(app: &TestApp, kind: OrganizationKind) -> organization::Model {
    organization::Entity::find()
        .filter(organization::Column::Kind.eq(kind))
        .order_by_asc(organization::Column::Id)
        .one(app.db())
        .await
        .expect("query organisations")
        .expect("the demo district has an organisation of this kind")
}

/// `count` people, the same ones for the same count.
async fn people(app: &TestApp, count: usize) -> Vec<i64> {
    person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .order_by_asc(person::Column::Id)
        .limit(count as u64)
        .into_tuple()
        .all(app.db())
        .await
        .expect("query people")
}

/// Moves an activity into the past or present: it runs from `starts_at` to `ends_at`, and its
/// sign-ups closed at its start.
async fn reschedule(
    app: &TestApp,
    activity_id: i64,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) {
    set_times(app, activity_id, starts_at, ends_at, starts_at).await;
}

/// Moves an activity to another future time, still taking sign-ups.
async fn reschedule_future(
    app: &TestApp,
    activity_id: i64,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) {
    set_times(
        app,
        activity_id,
        starts_at,
        ends_at,
        starts_at - Duration::days(1),
    )
    .await;
}

async fn set_times(
    app: &TestApp,
    activity_id: i64,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    closes: DateTime<Utc>,
) {
    let activity = volunteer_activity::Entity::find_by_id(activity_id)
        .one(app.db())
        .await
        .expect("query activities")
        .expect("the activity");
    let mut moved: volunteer_activity::ActiveModel = activity.into();
    moved.starts_at = Set(starts_at);
    moved.ends_at = Set(ends_at);
    // Long open, so sign-ups are taken now for activities far ahead.
    moved.signup_opens_at = Set(closes - Duration::days(400));
    moved.signup_closes_at = Set(closes);
    moved
        .update(app.db())
        .await
        .expect("reschedule the activity");
}

async fn signup_of(app: &TestApp, activity_id: i64, person_id: i64) -> activity_signup::Model {
    activity_signup::Entity::find()
        .filter(activity_signup::Column::ActivityId.eq(activity_id))
        .filter(activity_signup::Column::PersonId.eq(person_id))
        .order_by_desc(activity_signup::Column::Id)
        .one(app.db())
        .await
        .expect("query sign-ups")
        .expect("the sign-up")
}

async fn record_of(app: &TestApp, signup_id: i64) -> service_record::Model {
    service_record::Entity::find()
        .filter(service_record::Column::SignupId.eq(signup_id))
        .filter(service_record::Column::CorrectsId.is_null())
        .one(app.db())
        .await
        .expect("query records")
        .expect("the attendance's record")
}

fn decoded(id: &Value) -> i64 {
    gongzhi::graphql::ids::decode(&id.as_str().expect("an id").to_owned().into())
        .expect("a global id")
        .1
}

/// Whole minutes, as the database and JSON keep them alike.
fn minute(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(Duration::minutes(1))
        .expect("a representable time")
}
