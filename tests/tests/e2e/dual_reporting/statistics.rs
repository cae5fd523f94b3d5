//! What dual reporting adds up to: each unit's statistics rolled up the hierarchy, and a
//! member's own record as `me`.

use entities::admin_unit::{self, UnitLevel};
use entities::member_registration::{self, MemberRegistrationStatus};
use entities::post_claim::{self, PostClaimStatus};
use entities::service_record::{self, RecordStatus};
use entities::{party_member, person, service_post};
use gongzhi::auth::Scope;
use gongzhi::graphql::ids::global_id;
use gongzhi_tests::demo::{QIYI, unit_by_id};
use gongzhi_tests::{TestApp, e2e};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

e2e!(
    statistics_roll_up_the_hierarchy,
    a_member_reads_their_own_record,
);

const STATISTICS: &str = r#"query($codes: [String!]!) {
    units: adminUnits(filter: { codes: $codes }, first: 10) {
        nodes {
            code
            registrationStatistics {
                registeredMembers
                memberRegistrationsByStatus { status count }
                registeredOrganizations
                orgRegistrationsByStatus { status count }
                openPosts
                openPostPlaces
                postHolders
                memberServiceMinutes
                memberServiceRecords
                servingMembers
            }
        }
    }
}"#;

async fn statistics_roll_up_the_hierarchy(app: TestApp) {
    let qiyi = app.unit_by_code(QIYI).await;
    let sub_district = unit_by_id(&app, qiyi.parent_id.expect("a community's sub-district")).await;
    let district = unit_by_id(
        &app,
        sub_district.parent_id.expect("a sub-district's district"),
    )
    .await;
    let units = [&district, &sub_district, &qiyi];

    let communities = admin_unit::Entity::find()
        .filter(admin_unit::Column::Level.eq(UnitLevel::Community))
        .all(app.db())
        .await
        .expect("query units");
    let members = member_registration::Entity::find()
        .all(app.db())
        .await
        .expect("query registrations");
    let organizations = entities::org_registration::Entity::find()
        .all(app.db())
        .await
        .expect("query registrations");
    let posts = service_post::Entity::find()
        .all(app.db())
        .await
        .expect("query posts");
    let claims = post_claim::Entity::find()
        .filter(post_claim::Column::Status.eq(PostClaimStatus::Confirmed))
        .all(app.db())
        .await
        .expect("query claims");
    let records = service_record::Entity::find()
        .filter(service_record::Column::Status.eq(RecordStatus::Confirmed))
        .filter(service_record::Column::MemberUnitId.is_not_null())
        .all(app.db())
        .await
        .expect("query records");

    // The demo district has some of everything, so no figure is compared as 0 = 0 alone.
    assert!(!records.is_empty() && !claims.is_empty() && !organizations.is_empty());
    assert!(
        posts
            .iter()
            .any(|post| post.status == entities::service_post::PostStatus::Open)
    );

    let before = app.statements();
    let data = app
        .query_as(
            None,
            STATISTICS,
            json!({ "codes": units.iter().map(|unit| unit.code.clone()).collect::<Vec<_>>() }),
        )
        .await;
    let three_units = app.statements() - before;
    let nodes = data["units"]["nodes"].as_array().expect("units");
    assert_eq!(nodes.len(), 3);
    for unit in units {
        let within: Vec<i64> = communities
            .iter()
            .filter(|community| community.path.starts_with(&unit.path))
            .map(|community| community.id)
            .collect();
        let statistics = &nodes
            .iter()
            .find(|node| node["code"] == unit.code.as_str())
            .expect("the unit's figures")["registrationStatistics"];
        let here: Vec<&member_registration::Model> = members
            .iter()
            .filter(|registration| within.contains(&registration.community_id))
            .collect();
        let accepted = here
            .iter()
            .filter(|registration| registration.status == MemberRegistrationStatus::Accepted)
            .count();
        assert!(accepted > 0, "{} has registered members", unit.code);
        assert_eq!(statistics["registeredMembers"], accepted, "{}", unit.code);
        let by_status: u64 = statistics["memberRegistrationsByStatus"]
            .as_array()
            .expect("counts")
            .iter()
            .map(|count| count["count"].as_u64().expect("a count"))
            .sum();
        assert_eq!(by_status, here.len() as u64);
        let organizations_here: Vec<_> = organizations
            .iter()
            .filter(|registration| within.contains(&registration.community_id))
            .collect();
        let accepted = organizations_here
            .iter()
            .filter(|registration| {
                registration.status == entities::org_registration::OrgRegistrationStatus::Accepted
            })
            .count();
        assert_eq!(statistics["registeredOrganizations"], accepted);
        let by_status: u64 = statistics["orgRegistrationsByStatus"]
            .as_array()
            .expect("counts")
            .iter()
            .map(|count| count["count"].as_u64().expect("a count"))
            .sum();
        assert_eq!(by_status, organizations_here.len() as u64);
        let open: Vec<_> = posts
            .iter()
            .filter(|post| within.contains(&post.community_id))
            .filter(|post| post.status == entities::service_post::PostStatus::Open)
            .collect();
        assert_eq!(statistics["openPosts"], open.len());
        assert_eq!(
            statistics["openPostPlaces"],
            open.iter()
                .map(|post| i64::from(post.head_count))
                .sum::<i64>()
        );
        let posts_here: Vec<i64> = posts
            .iter()
            .filter(|post| within.contains(&post.community_id))
            .map(|post| post.id)
            .collect();
        let holders = claims
            .iter()
            .filter(|claim| posts_here.contains(&claim.post_id))
            .count();
        assert_eq!(statistics["postHolders"], holders);
        let service: Vec<_> = records
            .iter()
            .filter(|record| within.contains(&record.community_id))
            .collect();
        assert_eq!(
            statistics["memberServiceMinutes"],
            service
                .iter()
                .map(|record| i64::from(record.minutes))
                .sum::<i64>()
        );
        assert_eq!(statistics["memberServiceRecords"], service.len());
        let mut people: Vec<i64> = service.iter().map(|record| record.person_id).collect();
        people.sort_unstable();
        people.dedup();
        assert_eq!(statistics["servingMembers"], people.len());
    }

    // One batch of statements, however many units are asked about.
    let before = app.statements();
    app.query_as(None, STATISTICS, json!({ "codes": [QIYI] }))
        .await;
    assert_eq!(app.statements() - before, three_units);
}

const ME: &str = r#"{
    me {
        name
        partyMember {
            unit { id }
            registrations { status community { id } }
            postClaims { status post { id } }
            selfReports { year half }
        }
    }
}"#;

async fn a_member_reads_their_own_record(app: TestApp) {
    let registration = member_registration::Entity::find()
        .filter(member_registration::Column::Status.eq(MemberRegistrationStatus::Accepted))
        .order_by_asc(member_registration::Column::Id)
        .one(app.db())
        .await
        .expect("query registrations")
        .expect("the demo district has an accepted registration");
    let member = party_member::Entity::find_by_id(registration.party_member_id)
        .one(app.db())
        .await
        .expect("query members")
        .expect("the member");
    let person = person::Entity::find_by_id(member.person_id)
        .one(app.db())
        .await
        .expect("query people")
        .expect("the person");
    let registrations = member_registration::Entity::find()
        .filter(member_registration::Column::PartyMemberId.eq(member.id))
        .order_by_asc(member_registration::Column::Id)
        .all(app.db())
        .await
        .expect("query registrations");
    let claims = post_claim::Entity::find()
        .filter(post_claim::Column::PartyMemberId.eq(member.id))
        .order_by_asc(post_claim::Column::Id)
        .all(app.db())
        .await
        .expect("query claims");

    // The member sees their own record whole: name unmasked, every registration and claim.
    let data = app
        .query_as(Some(&app.person_token(person.id)), ME, json!({}))
        .await;
    let me = &data["me"];
    assert_eq!(me["name"], person.name);
    let own = &me["partyMember"];
    assert_eq!(
        own["unit"]["id"],
        json!(global_id("Organization", member.organization_id))
    );
    let expected: Vec<Value> = registrations
        .iter()
        .map(|registration| {
            json!({
                "status": serde_json::to_value(registration.status)
                    .expect("a status")
                    .as_str()
                    .expect("a string")
                    .to_uppercase(),
                "community": { "id": global_id("AdminUnit", registration.community_id) },
            })
        })
        .collect();
    assert_eq!(own["registrations"], json!(expected));
    let expected: Vec<Value> = claims
        .iter()
        .map(|claim| {
            json!({
                "status": serde_json::to_value(claim.status)
                    .expect("a status")
                    .as_str()
                    .expect("a string")
                    .to_uppercase(),
                "post": { "id": global_id("ServicePost", claim.post_id) },
            })
        })
        .collect();
    assert_eq!(own["postClaims"], json!(expected));
    assert!(own["selfReports"].is_array());

    // Partner clients and anonymous callers are nobody in particular.
    let client = app.client_token(member.organization_id, &[Scope::RegistrationsRead]);
    let data = app.query_as(Some(&client), ME, json!({})).await;
    assert_eq!(data["me"], Value::Null);
    let data = app.query_as(None, ME, json!({})).await;
    assert_eq!(data["me"], Value::Null);
}
