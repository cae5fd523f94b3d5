//! What the volunteering scenarios share: the partner's scopes, activities created, published
//! and moved in time, sign-ups and attendance, the records they earn, and the audit trail.

use chrono::{DateTime, Duration, DurationRound, Utc};
use entities::activity_signup;
use entities::organization::OrganizationKind;
use entities::service_record;
use entities::{audit_log, service_centre, volunteer_activity};
use gongzhi::auth::Scope;
use gongzhi::graphql::ids::global_id;
use gongzhi_tests::demo::{QIYI, organization_of};
use gongzhi_tests::gql::mutate;
use gongzhi_tests::{Role, TestApp};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};

/// The scopes of a partner's volunteering integration.
pub(super) const VOLUNTEERING: &[Scope] = &[Scope::VolunteeringRead, Scope::VolunteeringWrite];

/// Creates an activity from a full input.
pub(super) const CREATE: &str = r#"mutation($input: CreateVolunteerActivityInput!) {
    createVolunteerActivity(input: $input) {
        activity { id status }
        userErrors { field message code }
    }
}"#;

/// Signs the caller up for an activity.
pub(super) const SIGN_UP: &str = r#"mutation($id: ID!) {
    signUpForActivity(input: { activityId: $id }) {
        signup { id status }
        userErrors { field code }
    }
}"#;

/// A lifecycle mutation of an activity, by name.
pub(super) fn step(mutation: &str) -> String {
    format!(
        "mutation($id: ID!) {{ {mutation}(input: {{ activityId: $id }}) {{ activity {{ status }} userErrors {{ field code }} }} }}"
    )
}

/// An attendance step of one sign-up (check-in or check-out, at a given time), by mutation
/// name.
pub(super) fn attendance(mutation: &str) -> String {
    format!(
        "mutation($id: ID!, $at: DateTime) {{ {mutation}(input: {{ signupId: $id, at: $at }}) {{ signup {{ status checkedInAt checkedOutAt }} userErrors {{ field code }} }} }}"
    )
}

/// A volunteer's confirmed service hours, in total and by month, area and organisation.
pub(super) const SERVICE_HOURS: &str = r#"query($id: ID!) {
    serviceHours(volunteer: $id) {
        totalMinutes byMonth { month minutes } byArea { area minutes } byOrganization { organization { id } minutes }
    }
}"#;

/// The status of the activity after a lifecycle step that must succeed.
pub(super) async fn status_after(app: &TestApp, token: &str, mutation: &str, id: &Value) -> Value {
    let payload = mutate(app, token, &step(mutation), json!({ "id": id })).await;
    assert_eq!(payload["userErrors"], json!([]), "{mutation}: {payload}");
    payload["activity"]["status"].clone()
}

/// A complete, valid activity input in 七一社区 a year ahead, with `overrides`.
pub(super) async fn activity_input(app: &TestApp, overrides: Value) -> Value {
    let community = app.unit_by_code(QIYI).await;
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

/// Creates an activity from [`activity_input`] with `overrides`, and returns the payload.
pub(super) async fn create(app: &TestApp, token: &str, overrides: Value) -> Value {
    let input = activity_input(app, overrides).await;
    mutate(app, token, CREATE, json!({ "input": input })).await
}

/// A published activity of a community's own organisation (no approval needed), and its
/// organiser's token.
pub(super) async fn published_activity(
    app: &TestApp,
    capacity: i32,
    self_scheduling: bool,
) -> (Value, String) {
    let community = organization_of(app, OrganizationKind::Community).await;
    let organiser = app.org_admin_token(Role::OrgAdmin, community.id);
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

/// Moves an activity into the past or present: it runs from `starts_at` to `ends_at`, and its
/// sign-ups closed at its start.
pub(super) async fn reschedule(
    app: &TestApp,
    activity_id: i64,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) {
    set_times(app, activity_id, starts_at, ends_at, starts_at).await;
}

/// Moves an activity to another future time, still taking sign-ups.
pub(super) async fn reschedule_future(
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

/// Sets an activity's times: it runs from `starts_at` to `ends_at`, and takes sign-ups
/// until `closes`.
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

/// The volunteer's latest sign-up for the activity.
pub(super) async fn signup_of(
    app: &TestApp,
    activity_id: i64,
    person_id: i64,
) -> activity_signup::Model {
    activity_signup::Entity::find()
        .filter(activity_signup::Column::ActivityId.eq(activity_id))
        .filter(activity_signup::Column::PersonId.eq(person_id))
        .order_by_desc(activity_signup::Column::Id)
        .one(app.db())
        .await
        .expect("query sign-ups")
        .expect("the sign-up")
}

/// The service record a sign-up's attendance earned (not a correction of it).
pub(super) async fn record_of(app: &TestApp, signup_id: i64) -> service_record::Model {
    service_record::Entity::find()
        .filter(service_record::Column::SignupId.eq(signup_id))
        .filter(service_record::Column::CorrectsId.is_null())
        .one(app.db())
        .await
        .expect("query records")
        .expect("the attendance's record")
}

/// Whole minutes, as the database and JSON keep them alike.
pub(super) fn minute(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(Duration::minutes(1))
        .expect("a representable time")
}

/// The audited actions on one row, in order.
pub(super) async fn actions(app: &TestApp, entity_type: &str, entity_id: i64) -> Vec<String> {
    audit_log::Entity::find()
        .filter(audit_log::Column::EntityType.eq(entity_type))
        .filter(audit_log::Column::EntityId.eq(entity_id))
        .order_by_asc(audit_log::Column::Id)
        .all(app.db())
        .await
        .expect("query the audit log")
        .into_iter()
        .map(|entry| entry.action)
        .collect()
}
