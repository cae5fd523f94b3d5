//! What the dual-reporting scenarios share: the deregistration mutation, new Party members,
//! and instants in China Standard Time.

use chrono::{DateTime, TimeZone, Utc};
use entities::{party_member, person};
use gongzhi_tests::TestApp;
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

/// Deregisters a member: `deregisterMember` by registration id.
pub(super) const DEREGISTER: &str = r#"mutation($id: ID!) {
    deregisterMember(input: { registrationId: $id }) {
        registration { status }
        userErrors { code }
    }
}"#;

/// An instant given in China Standard Time.
pub(super) fn cst(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(8 * 3600)
        .expect("UTC+8")
        .with_ymd_and_hms(year, month, day, hour, minute, 0)
        .single()
        .expect("a valid date")
        .with_timezone(&Utc)
}

/// `count` new Party members of `unit_id`, with no registration yet.
pub(super) async fn new_members(app: &TestApp, unit_id: i64, count: usize) -> Vec<i64> {
    let now = Utc::now();
    let first_person = person::Entity::find()
        .order_by_desc(person::Column::Id)
        .one(app.db())
        .await
        .expect("query people")
        .map_or(1, |person| person.id + 1);
    let person_ids: Vec<i64> = (first_person..).take(count).collect();
    for chunk in person_ids.chunks(500) {
        person::Entity::insert_many(chunk.iter().map(|&id| person::ActiveModel {
            id: Set(id),
            name: Set(format!("党员{id}")),
            lives_alone: Set(false),
            hardship: Set(false),
            created_at: Set(now),
            ..Default::default()
        }))
        .exec(app.db())
        .await
        .expect("insert people");
        party_member::Entity::insert_many(chunk.iter().map(|&person_id| {
            party_member::ActiveModel {
                person_id: Set(person_id),
                organization_id: Set(unit_id),
                serving: Set(true),
                created_at: Set(now),
                ..Default::default()
            }
        }))
        .exec(app.db())
        .await
        .expect("insert members");
    }
    party_member::Entity::find()
        .filter(party_member::Column::PersonId.gte(first_person))
        .order_by_asc(party_member::Column::Id)
        .all(app.db())
        .await
        .expect("query members")
        .into_iter()
        .map(|member| member.id)
        .collect()
}
