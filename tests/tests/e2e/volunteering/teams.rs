//! Volunteer teams over HTTP: founding, managing and dissolving a team by role, joining and
//! leaving for oneself, roles within the team, and concurrent joins of one person.

use entities::organization::OrganizationKind;
use entities::{team_member, volunteer_team};
use futures::future::join_all;
use gongzhi::graphql::ids::global_id;
use gongzhi_tests::demo::{QIYI, district, organization_of, other_community, people};
use gongzhi_tests::gql::{decoded, mutate};
use gongzhi_tests::{Role, TestApp, e2e};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use super::common::{VOLUNTEERING, actions};

e2e!(
    teams_are_managed_by_their_organisation_and_community_staff,
    people_join_and_leave_for_themselves_and_leaders_set_roles,
    concurrent_joins_of_one_person_give_one_membership,
);

const CREATE: &str = r#"mutation($input: CreateVolunteerTeamInput!) {
    createVolunteerTeam(input: $input) {
        team { id name area status members { id role } }
        userErrors { field message code }
    }
}"#;

const UPDATE: &str = r#"mutation($input: UpdateVolunteerTeamInput!) {
    updateVolunteerTeam(input: $input) {
        team { name area status }
        userErrors { field code }
    }
}"#;

const DISSOLVE: &str = r#"mutation($id: ID!) {
    dissolveVolunteerTeam(input: { teamId: $id }) {
        team { status members { id } }
        userErrors { field code }
    }
}"#;

const JOIN: &str = r#"mutation($id: ID!, $key: String) {
    joinVolunteerTeam(input: { teamId: $id, idempotencyKey: $key }) {
        membership { id role }
        userErrors { field code }
    }
}"#;

const LEAVE: &str = r#"mutation($id: ID!) {
    leaveVolunteerTeam(input: { teamId: $id }) {
        membership { id role }
        userErrors { field code }
    }
}"#;

const SET_ROLE: &str = r#"mutation($id: ID!, $role: TeamRole!) {
    setTeamMemberRole(input: { membershipId: $id, role: $role }) {
        membership { id role }
        userErrors { field code }
    }
}"#;

const REMOVE: &str = r#"mutation($id: ID!) {
    removeTeamMember(input: { membershipId: $id }) {
        membership { id }
        userErrors { field code }
    }
}"#;

/// A new team of the organisation of `owner` (its API client), led by `leader`: founded, joined
/// by the leader, who the organisation then makes its leader. Returns the team's id and the
/// leader's membership id.
async fn team_led_by(app: &TestApp, owner: &str, leader: i64) -> (Value, Value) {
    let created = mutate(app, owner, CREATE, team_input(app, json!({})).await).await;
    assert_eq!(created["userErrors"], json!([]), "{created}");
    assert_eq!(created["team"]["status"], "ACTIVE");
    let id = created["team"]["id"].clone();
    let joined = mutate(app, &app.person_token(leader), JOIN, json!({ "id": id })).await;
    let membership = joined["membership"]["id"].clone();
    let led = role(app, owner, &membership, "LEADER").await;
    assert_eq!(led["membership"]["role"], "LEADER", "{led}");
    (id, membership)
}

async fn teams_are_managed_by_their_organisation_and_community_staff(app: TestApp) {
    let partner = organization_of(&app, OrganizationKind::SocialOrganization).await;
    let other = organization_of(&app, OrganizationKind::Business).await;
    let owner = app.client_token(partner.id, VOLUNTEERING);
    let owner_admin = app.org_admin_token(Role::OrgAdmin, partner.id);
    let other_client = app.client_token(other.id, VOLUNTEERING);
    let community_staff = app.staff_token(Role::CommunityStaff, QIYI).await;
    let qiyi = app.unit_by_code(QIYI).await;
    let elsewhere = other_community(&app, qiyi.id).await;
    let other_staff = app.staff_token(Role::CommunityStaff, &elsewhere.code).await;
    let district = district(&app).await;
    let district_staff = app.staff_token(Role::DistrictStaff, &district.code).await;
    let [leader]: [i64; 1] = people(&app, 1).await.try_into().expect("a person");

    // Only an organisation founds teams, in a community.
    for token in [&app.person_token(leader), &community_staff] {
        let refused = mutate(&app, token, CREATE, team_input(&app, json!({})).await).await;
        assert_eq!(refused["team"], Value::Null);
        assert_eq!(
            refused["userErrors"][0]["code"], "NOT_ORGANIZER",
            "{refused}"
        );
        assert_eq!(refused["userErrors"][0]["field"], json!(["input"]));
    }
    let refused = mutate(
        &app,
        &owner,
        CREATE,
        team_input(
            &app,
            json!({
                "communityId": global_id("AdminUnit", district.id),
                "leaderId": global_id("Person", i64::MAX),
            }),
        )
        .await,
    )
    .await;
    let found: Vec<_> = refused["userErrors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|error| (error["code"].clone(), error["field"].clone()))
        .collect();
    assert_eq!(
        found,
        [
            (json!("NOT_A_COMMUNITY"), json!(["input", "communityId"])),
            (json!("UNKNOWN_LEADER"), json!(["input", "leaderId"])),
        ]
    );

    // Nobody is made a leader without their consent: an existing person is refused as an id
    // that names nobody, so the answer tells no ids apart.
    let refused = mutate(
        &app,
        &owner,
        CREATE,
        team_input(&app, json!({ "leaderId": global_id("Person", leader) })).await,
    )
    .await;
    assert_eq!(
        refused["userErrors"][0]["code"], "UNKNOWN_LEADER",
        "{refused}"
    );
    assert_eq!(refused["team"], Value::Null);

    let (id, _) = team_led_by(&app, &owner, leader).await;
    let team_id = decoded(&id);
    assert_eq!(team(&app, team_id).await.leader_person_id, Some(leader));

    // Another organisation, another community's staff and the leader do not manage the team.
    for token in [&other_client, &other_staff, &app.person_token(leader)] {
        let refused = mutate(
            &app,
            token,
            UPDATE,
            json!({ "input": { "teamId": id, "name": "Taken over" } }),
        )
        .await;
        assert_eq!(
            refused["userErrors"][0]["code"], "NOT_PERMITTED",
            "{refused}"
        );
        assert_eq!(refused["team"]["name"], "七一助老服务队");
        let refused = mutate(&app, token, DISSOLVE, json!({ "id": id })).await;
        assert_eq!(
            refused["userErrors"][0]["code"], "NOT_PERMITTED",
            "{refused}"
        );
        assert_eq!(refused["team"]["status"], "ACTIVE");
    }
    let refused = mutate(
        &app,
        &owner_admin,
        UPDATE,
        json!({ "input": { "teamId": id, "communityId": global_id("AdminUnit", district.id) } }),
    )
    .await;
    assert_eq!(refused["userErrors"][0]["code"], "NOT_A_COMMUNITY");
    assert_eq!(
        refused["userErrors"][0]["field"],
        json!(["input", "communityId"])
    );

    // The organisation's administrators, the community's staff and staff above it do.
    for (token, name, area) in [
        (&owner_admin, "七一医疗队", "ELDERLY_CARE_MEDICAL"),
        (&community_staff, "七一调解队", "DISPUTE_MEDIATION"),
        (&district_staff, "七一法律援助队", "LEGAL_AID"),
    ] {
        let updated = mutate(
            &app,
            token,
            UPDATE,
            json!({ "input": { "teamId": id, "name": name, "area": area } }),
        )
        .await;
        assert_eq!(updated["userErrors"], json!([]), "{updated}");
        assert_eq!(
            updated["team"],
            json!({ "name": name, "area": area, "status": "ACTIVE" })
        );
    }

    let dissolved = mutate(&app, &community_staff, DISSOLVE, json!({ "id": id })).await;
    assert_eq!(dissolved["userErrors"], json!([]), "{dissolved}");
    assert_eq!(dissolved["team"]["status"], "DISSOLVED");
    assert_eq!(dissolved["team"]["members"], json!([]));
    assert_eq!(team(&app, team_id).await.leader_person_id, None);
    let refused = mutate(&app, &owner, DISSOLVE, json!({ "id": id })).await;
    assert_eq!(refused["userErrors"][0]["code"], "TEAM_DISSOLVED");
    assert_eq!(
        refused["userErrors"][0]["field"],
        json!(["input", "teamId"])
    );
    let refused = mutate(
        &app,
        &owner,
        UPDATE,
        json!({ "input": { "teamId": id, "name": "Revived" } }),
    )
    .await;
    assert_eq!(refused["userErrors"][0]["code"], "TEAM_DISSOLVED");
    let refused = mutate(&app, &app.person_token(leader), JOIN, json!({ "id": id })).await;
    assert_eq!(refused["userErrors"][0]["code"], "TEAM_DISSOLVED");

    assert_eq!(
        actions(&app, "volunteer_team", team_id).await,
        [
            "create_volunteer_team",
            "update_volunteer_team",
            "update_volunteer_team",
            "update_volunteer_team",
            "dissolve_volunteer_team",
        ]
    );
    let membership = only_membership(&app, team_id, leader).await;
    assert!(membership.left_at.is_some());
    assert_eq!(
        actions(&app, "team_member", membership.id).await,
        [
            "join_volunteer_team",
            "set_team_member_role",
            "leave_with_team"
        ]
    );
}

async fn people_join_and_leave_for_themselves_and_leaders_set_roles(app: TestApp) {
    let partner = organization_of(&app, OrganizationKind::SocialOrganization).await;
    let owner = app.client_token(partner.id, VOLUNTEERING);
    let qiyi = app.unit_by_code(QIYI).await;
    let other_staff = app
        .staff_token(
            Role::CommunityStaff,
            &other_community(&app, qiyi.id).await.code,
        )
        .await;
    let [first, second, third, outsider]: [i64; 4] =
        people(&app, 4).await.try_into().expect("four people");
    let [first_token, second_token, third_token, outsider_token] =
        [first, second, third, outsider].map(|person| app.person_token(person));
    let (id, leader_membership) = team_led_by(&app, &owner, first).await;
    let team_id = decoded(&id);

    // A person joins for themself, once; an organisation cannot join.
    let joined = mutate(&app, &second_token, JOIN, json!({ "id": id })).await;
    assert_eq!(joined["userErrors"], json!([]), "{joined}");
    assert_eq!(joined["membership"]["role"], "MEMBER");
    let second_membership = joined["membership"]["id"].clone();
    let refused = mutate(&app, &second_token, JOIN, json!({ "id": id })).await;
    assert_eq!(refused["membership"], Value::Null);
    assert_eq!(refused["userErrors"][0]["code"], "ALREADY_MEMBER");
    assert_eq!(
        refused["userErrors"][0]["field"],
        json!(["input", "teamId"])
    );
    let refused = mutate(&app, &owner, JOIN, json!({ "id": id })).await;
    assert_eq!(refused["userErrors"][0]["code"], "NOT_A_VOLUNTEER");
    assert_eq!(refused["userErrors"][0]["field"], json!(["input"]));
    let refused = mutate(&app, &owner, LEAVE, json!({ "id": id })).await;
    assert_eq!(refused["userErrors"][0]["code"], "NOT_A_VOLUNTEER");
    let third_membership =
        mutate(&app, &third_token, JOIN, json!({ "id": id })).await["membership"]["id"].clone();

    // A member sets no roles, not even their own, and removes no one.
    let refused = role(&app, &second_token, &second_membership, "LEADER").await;
    assert_eq!(
        refused["userErrors"][0]["code"], "NOT_TEAM_MANAGER",
        "{refused}"
    );
    assert_eq!(refused["userErrors"][0]["field"], json!(["input"]));
    assert_eq!(refused["membership"]["role"], "MEMBER");
    let refused = mutate(
        &app,
        &second_token,
        REMOVE,
        json!({ "id": second_membership }),
    )
    .await;
    assert_eq!(
        refused["userErrors"][0]["code"], "NOT_TEAM_MANAGER",
        "{refused}"
    );
    // Callers who may not see a membership (another member, another community's staff, an
    // outsider) are told it does not exist.
    for token in [&second_token, &other_staff, &outsider_token] {
        let (_, errors) = app
            .errors(
                Some(token),
                SET_ROLE,
                json!({ "id": third_membership, "role": "LEADER" }),
            )
            .await;
        assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND", "{errors:?}");
    }

    // The leader and the organisation set roles; a new leader takes over from the old one.
    let deputy = role(&app, &first_token, &third_membership, "DEPUTY").await;
    assert_eq!(deputy["userErrors"], json!([]), "{deputy}");
    assert_eq!(deputy["membership"]["role"], "DEPUTY");
    let handed = role(&app, &owner, &second_membership, "LEADER").await;
    assert_eq!(handed["membership"]["role"], "LEADER", "{handed}");
    assert_eq!(team(&app, team_id).await.leader_person_id, Some(second));
    assert_eq!(
        roles(&app, team_id).await,
        [(first, "member"), (second, "leader"), (third, "deputy")]
    );
    // The former leader is a member again, and may not take the lead back themself.
    let refused = role(&app, &first_token, &leader_membership, "LEADER").await;
    assert_eq!(
        refused["userErrors"][0]["code"], "NOT_TEAM_MANAGER",
        "{refused}"
    );

    // The new leader removes a member, once.
    let removed = mutate(
        &app,
        &second_token,
        REMOVE,
        json!({ "id": third_membership }),
    )
    .await;
    assert_eq!(removed["userErrors"], json!([]), "{removed}");
    for refused in [
        mutate(
            &app,
            &second_token,
            REMOVE,
            json!({ "id": third_membership }),
        )
        .await,
        role(&app, &owner, &third_membership, "MEMBER").await,
    ] {
        assert_eq!(
            refused["userErrors"][0]["code"], "MEMBERSHIP_ENDED",
            "{refused}"
        );
        assert_eq!(
            refused["userErrors"][0]["field"],
            json!(["input", "membershipId"])
        );
    }
    let refused = mutate(&app, &third_token, LEAVE, json!({ "id": id })).await;
    assert_eq!(refused["userErrors"][0]["code"], "NOT_A_MEMBER");
    assert_eq!(
        refused["userErrors"][0]["field"],
        json!(["input", "teamId"])
    );
    let rejoined = mutate(&app, &third_token, JOIN, json!({ "id": id })).await;
    assert_eq!(rejoined["membership"]["role"], "MEMBER", "{rejoined}");
    assert_ne!(rejoined["membership"]["id"], third_membership);

    // The leader leaves for themself, and the team has no leader until one is set.
    let left = mutate(&app, &second_token, LEAVE, json!({ "id": id })).await;
    assert_eq!(left["userErrors"], json!([]), "{left}");
    assert_eq!(left["membership"]["id"], second_membership);
    assert_eq!(team(&app, team_id).await.leader_person_id, None);
    assert_eq!(
        roles(&app, team_id).await,
        [(first, "member"), (third, "member")]
    );
    let again = role(&app, &owner, &leader_membership, "LEADER").await;
    assert_eq!(again["membership"]["role"], "LEADER", "{again}");
    assert_eq!(team(&app, team_id).await.leader_person_id, Some(first));

    let first_membership = decoded(&leader_membership);
    assert_eq!(
        actions(&app, "team_member", first_membership).await,
        [
            "join_volunteer_team",
            "set_team_member_role",
            "hand_over_team_leadership",
            "set_team_member_role",
        ]
    );
    assert_eq!(
        actions(&app, "team_member", decoded(&third_membership)).await,
        [
            "join_volunteer_team",
            "set_team_member_role",
            "remove_team_member",
        ]
    );
}

async fn concurrent_joins_of_one_person_give_one_membership(app: TestApp) {
    let partner = organization_of(&app, OrganizationKind::SocialOrganization).await;
    let created = mutate(
        &app,
        &app.client_token(partner.id, VOLUNTEERING),
        CREATE,
        team_input(&app, json!({})).await,
    )
    .await;
    let id = created["team"]["id"].clone();
    let team_id = decoded(&id);
    let [volunteer]: [i64; 1] = people(&app, 1).await.try_into().expect("a person");
    let token = app.person_token(volunteer);

    let joins = join_all((0..12).map(|_| mutate(&app, &token, JOIN, json!({ "id": id })))).await;
    let joined = joins
        .iter()
        .filter(|payload| payload["userErrors"] == json!([]))
        .count();
    let refused = joins
        .iter()
        .filter(|payload| payload["userErrors"][0]["code"] == "ALREADY_MEMBER")
        .count();
    assert_eq!((joined, refused), (1, 11), "{joins:?}");
    assert_eq!(
        team_member::Entity::find()
            .filter(team_member::Column::TeamId.eq(team_id))
            .filter(team_member::Column::PersonId.eq(volunteer))
            .count(app.db())
            .await
            .expect("count memberships"),
        1
    );

    // A retry with the same idempotency key answers as the first time, changing nothing.
    let left = mutate(&app, &token, LEAVE, json!({ "id": id })).await;
    assert_eq!(left["userErrors"], json!([]), "{left}");
    let keyed = json!({ "id": id, "key": "join-again" });
    let first = mutate(&app, &token, JOIN, keyed.clone()).await;
    let retried = mutate(&app, &token, JOIN, keyed).await;
    assert_eq!(first["userErrors"], json!([]), "{first}");
    assert_eq!(retried, first);
}

/// Sets the role of a membership, and returns the payload.
async fn role(app: &TestApp, token: &str, membership: &Value, role: &str) -> Value {
    mutate(
        app,
        token,
        SET_ROLE,
        json!({ "id": membership, "role": role }),
    )
    .await
}

/// A complete, valid team input in 七一社区, with `overrides`.
async fn team_input(app: &TestApp, overrides: Value) -> Value {
    let community = app.unit_by_code(QIYI).await;
    let mut input = json!({
        "name": "七一助老服务队",
        "area": "ELDERLY_CARE_MEDICAL",
        "communityId": global_id("AdminUnit", community.id),
    });
    if let (Some(input), Some(overrides)) = (input.as_object_mut(), overrides.as_object()) {
        input.extend(overrides.clone());
    }
    json!({ "input": input })
}

/// The team's row.
async fn team(app: &TestApp, team_id: i64) -> volunteer_team::Model {
    volunteer_team::Entity::find_by_id(team_id)
        .one(app.db())
        .await
        .expect("query teams")
        .expect("the team")
}

/// The person's one membership of the team, current or ended.
async fn only_membership(app: &TestApp, team_id: i64, person_id: i64) -> team_member::Model {
    team_member::Entity::find()
        .filter(team_member::Column::TeamId.eq(team_id))
        .filter(team_member::Column::PersonId.eq(person_id))
        .one(app.db())
        .await
        .expect("query memberships")
        .expect("the membership")
}

/// The team's current members and their roles, by person.
async fn roles(app: &TestApp, team_id: i64) -> Vec<(i64, &'static str)> {
    team_member::Entity::find()
        .filter(team_member::Column::TeamId.eq(team_id))
        .filter(team_member::Column::LeftAt.is_null())
        .order_by_asc(team_member::Column::PersonId)
        .all(app.db())
        .await
        .expect("query memberships")
        .into_iter()
        .map(|member| {
            let role = match member.role {
                team_member::TeamRole::Leader => "leader",
                team_member::TeamRole::Deputy => "deputy",
                team_member::TeamRole::Member => "member",
            };
            (member.person_id, role)
        })
        .collect()
}
