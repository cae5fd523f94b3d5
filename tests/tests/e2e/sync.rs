//! Polling that works: every object that changes says when (`updatedAt`), and the lists
//! partners sync take `updatedSince`, so that a partner reads only what changed since its last
//! poll.

use entities::micro_wish::{self, WishStatus};
use entities::{party_member, wish_claim};
use gongzhi::graphql::ids::global_id;
use gongzhi_tests::{Role, TestApp, demo, e2e};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};

e2e!(a_partner_reads_only_what_changed_since_its_last_poll);

const CHANGED: &str = r#"query($since: DateTime!) {
    microWishes(first: 100, filter: {updatedSince: $since}) { nodes { id updatedAt status } }
    wishClaims(first: 100, filter: {updatedSince: $since}) { nodes { id updatedAt status } }
}"#;

async fn a_partner_reads_only_what_changed_since_its_last_poll(app: TestApp) {
    let staff = app.staff_token(Role::DistrictStaff, demo::DISTRICT).await;
    let since = chrono::Utc::now();
    let open: Vec<micro_wish::Model> = micro_wish::Entity::find()
        .filter(micro_wish::Column::Status.eq(WishStatus::Open))
        .filter(micro_wish::Column::UpdatedAt.lt(since))
        .order_by_asc(micro_wish::Column::Id)
        .limit(2)
        .all(app.db())
        .await
        .expect("query wishes");
    let [claimed, untouched] = [&open[0], &open[1]];
    let claiming: Vec<i64> = wish_claim::Entity::find()
        .select_only()
        .column(wish_claim::Column::ClaimantPersonId)
        .filter(wish_claim::Column::ClaimantPersonId.is_not_null())
        .into_tuple()
        .all(app.db())
        .await
        .expect("query claims");
    let member = party_member::Entity::find()
        .filter(party_member::Column::PersonId.is_not_in(claiming))
        .one(app.db())
        .await
        .expect("query members")
        .expect("a member without claims");

    let changed = app
        .query_as(Some(&staff), CHANGED, json!({ "since": since }))
        .await;
    let ids = |list: &Value| -> Vec<Value> {
        list["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|node| node["id"].clone())
            .collect()
    };
    assert!(!ids(&changed["microWishes"]).contains(&json!(global_id("MicroWish", claimed.id))));

    let claim = app
        .query_as(
            Some(&app.person_token(member.person_id)),
            "mutation($id: ID!) { claimMicroWish(input: {wishId: $id}) { wish { status updatedAt } userErrors { code } } }",
            json!({ "id": global_id("MicroWish", claimed.id) }),
        )
        .await;
    assert_eq!(claim["claimMicroWish"]["userErrors"], json!([]));
    let updated_at: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(claim["claimMicroWish"]["wish"]["updatedAt"].clone())
            .expect("a time");
    assert!(updated_at >= since, "{updated_at} before {since}");

    let changed = app
        .query_as(Some(&staff), CHANGED, json!({ "since": since }))
        .await;
    let wishes = ids(&changed["microWishes"]);
    assert!(
        wishes.contains(&json!(global_id("MicroWish", claimed.id))),
        "{changed}"
    );
    assert!(
        !wishes.contains(&json!(global_id("MicroWish", untouched.id))),
        "{changed}"
    );
    let claims = changed["wishClaims"]["nodes"].as_array().expect("claims");
    assert!(
        claims.iter().any(|claim| claim["status"] == "ACTIVE"),
        "the new claim is among the changed: {changed}"
    );
}
