//! Sign-ups for volunteer activities over HTTP: capacity that holds under concurrent sign-ups,
//! the waiting list, organisers' approval of applications, and overlapping sign-ups refused.

use chrono::{Duration, Utc};
use entities::activity_signup::{self, SignupStatus};
use entities::volunteer_activity;
use futures::future::join_all;
use gongzhi_tests::demo::{QIYI, people};
use gongzhi_tests::gql::{decoded, mutate};
use gongzhi_tests::{Role, TestApp, e2e};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::json;

use super::common::{SIGN_UP, minute, published_activity, reschedule_future, signup_of};

e2e!(
    capacity_holds_under_concurrent_signups,
    a_freed_place_goes_to_the_first_waitlisted,
    organisers_approve_applications_while_places_are_free,
    overlapping_signups_are_refused,
);

/// A step of one sign-up, by mutation name.
fn signup_step(mutation: &str) -> String {
    format!(
        "mutation($id: ID!) {{ {mutation}(input: {{ signupId: $id }}) {{ signup {{ status }} userErrors {{ field code }} }} }}"
    )
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
