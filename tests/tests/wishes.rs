//! The micro-wish claim workflow over HTTP: exactly one winner among concurrent claimants,
//! releasing, and each refused transition with its code.

use entities::micro_wish::{self, WishStatus};
use entities::wish_claim::{self, ClaimStatus};
use entities::{organization, party_member};
use futures::future::join_all;
use gongzhi::auth::{PrincipalKind, Scope, Subject};
use gongzhi::graphql::node::global_id;
use gongzhi_tests::{Role, TestApp, e2e};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};

e2e!(
    fifty_concurrent_claims_have_exactly_one_winner,
    a_claimant_releases_and_the_wish_reopens,
    refused_claims_say_why,
    a_retried_claim_returns_its_first_result,
);

const CLAIM: &str = r#"mutation($id: ID!) {
    claimMicroWish(input: { wishId: $id }) {
        wish { status version activeClaim { claimantKind } }
        userErrors { field message code }
    }
}"#;

const RELEASE: &str = r#"mutation($id: ID!) {
    releaseMicroWishClaim(input: { wishId: $id }) {
        wish { status }
        userErrors { code }
    }
}"#;

async fn fifty_concurrent_claims_have_exactly_one_winner(app: TestApp) {
    let wish = wish_in(&app, WishStatus::Open).await;
    let claimants = claimants(&app, 50).await;
    let id = json!({ "id": global_id("MicroWish", wish.id) });
    let responses = join_all(
        claimants
            .iter()
            .map(|token| app.query_as(Some(token), CLAIM, id.clone())),
    )
    .await;
    let codes: Vec<Value> = responses
        .iter()
        .map(|data| data["claimMicroWish"]["userErrors"][0]["code"].clone())
        .collect();
    let winners = codes.iter().filter(|code| code.is_null()).count();
    let refused = codes
        .iter()
        .filter(|code| **code == "ALREADY_CLAIMED")
        .count();
    assert_eq!((winners, refused), (1, 49), "codes: {codes:?}");

    let active = wish_claim::Entity::find()
        .filter(wish_claim::Column::WishId.eq(wish.id))
        .filter(wish_claim::Column::Status.eq(ClaimStatus::Active))
        .count(app.db())
        .await
        .expect("count claims");
    assert_eq!(active, 1);
    let after = micro_wish::Entity::find_by_id(wish.id)
        .one(app.db())
        .await
        .expect("query")
        .expect("the wish");
    assert_eq!(
        (after.status, after.version),
        (WishStatus::Claimed, wish.version + 1)
    );
}

async fn a_claimant_releases_and_the_wish_reopens(app: TestApp) {
    let wish = wish_in(&app, WishStatus::Open).await;
    let [first, second]: [String; 2] = claimants(&app, 2).await.try_into().expect("two claimants");
    let id = json!({ "id": global_id("MicroWish", wish.id) });

    let claimed = app.query_as(Some(&first), CLAIM, id.clone()).await;
    assert_eq!(claimed["claimMicroWish"]["userErrors"], json!([]));
    assert_eq!(claimed["claimMicroWish"]["wish"]["status"], "CLAIMED");
    assert_eq!(
        claimed["claimMicroWish"]["wish"]["activeClaim"]["claimantKind"],
        "ORGANIZATION"
    );

    let refused = app.query_as(Some(&second), RELEASE, id.clone()).await;
    assert_eq!(
        refused["releaseMicroWishClaim"]["userErrors"][0]["code"],
        "NOT_CLAIMANT"
    );

    let released = app.query_as(Some(&first), RELEASE, id.clone()).await;
    assert_eq!(
        released["releaseMicroWishClaim"],
        json!({ "wish": { "status": "OPEN" }, "userErrors": [] })
    );

    let reclaimed = app.query_as(Some(&second), CLAIM, id.clone()).await;
    assert_eq!(reclaimed["claimMicroWish"]["wish"]["status"], "CLAIMED");
    let released_claims = wish_claim::Entity::find()
        .filter(wish_claim::Column::WishId.eq(wish.id))
        .filter(wish_claim::Column::Status.eq(ClaimStatus::Released))
        .count(app.db())
        .await
        .expect("count claims");
    assert_eq!(released_claims, 1);
}

async fn refused_claims_say_why(app: TestApp) {
    // The organisation that fulfilled a wish still sees it, and may not claim it again.
    let fulfilled = wish_claim::Entity::find()
        .filter(wish_claim::Column::Status.eq(ClaimStatus::Fulfilled))
        .filter(wish_claim::Column::ClaimantOrganizationId.is_not_null())
        .one(app.db())
        .await
        .expect("query claims")
        .expect("the demo district has a wish fulfilled by an organisation");
    let fulfiller =
        organization::Entity::find_by_id(fulfilled.claimant_organization_id.unwrap_or_default())
            .one(app.db())
            .await
            .expect("query organisations")
            .expect("the fulfilling organisation");
    let partner = client_token(&app, fulfiller, vec![Scope::WishesRead, Scope::WishesWrite]);
    let data = app
        .query_as(
            Some(&partner),
            CLAIM,
            json!({ "id": global_id("MicroWish", fulfilled.wish_id) }),
        )
        .await;
    assert_eq!(
        data["claimMicroWish"]["userErrors"][0]["code"],
        "WISH_NOT_OPEN"
    );
    assert_eq!(
        data["claimMicroWish"]["userErrors"][0]["field"],
        json!(["wishId"])
    );
    assert_eq!(
        data["claimMicroWish"]["wish"]["status"], "REALIZED",
        "a refusal changes nothing"
    );

    let open = wish_in(&app, WishStatus::Open).await;
    let id = json!({ "id": global_id("MicroWish", open.id) });

    // Staff review and publish wishes; they do not claim them.
    let staff = app.staff_token(Role::CommunityStaff, "411002001001").await;
    let data = app.query_as(Some(&staff), CLAIM, id.clone()).await;
    assert_eq!(
        data["claimMicroWish"]["userErrors"][0]["code"],
        "NOT_A_CLAIMANT"
    );

    // A resident may not claim their own wish.
    let beneficiary = person_token(&app, open.beneficiary_person_id);
    let data = app.query_as(Some(&beneficiary), CLAIM, id.clone()).await;
    assert_eq!(data["claimMicroWish"]["userErrors"][0]["code"], "OWN_WISH");

    // A client without `wishes:write`, and an anonymous caller, are refused outright.
    let reader = client_token(
        &app,
        first_organization(&app).await,
        vec![Scope::WishesRead],
    );
    let (_, errors) = app.errors(Some(&reader), CLAIM, id.clone()).await;
    assert_eq!(errors[0]["extensions"]["code"], "FORBIDDEN");
    let (_, errors) = app.errors(None, CLAIM, id.clone()).await;
    assert_eq!(errors[0]["extensions"]["code"], "UNAUTHENTICATED");

    let unchanged = micro_wish::Entity::find_by_id(open.id)
        .one(app.db())
        .await
        .expect("query")
        .expect("the wish");
    assert_eq!(
        (unchanged.status, unchanged.version),
        (WishStatus::Open, open.version)
    );
}

async fn a_retried_claim_returns_its_first_result(app: TestApp) {
    let wishes = micro_wish::Entity::find()
        .filter(micro_wish::Column::Status.eq(WishStatus::Open))
        .order_by_asc(micro_wish::Column::Id)
        .limit(2)
        .all(app.db())
        .await
        .expect("query wishes");
    let [first, other] = [&wishes[0], &wishes[1]];
    let [partner]: [String; 1] = claimants(&app, 1).await.try_into().expect("a claimant");
    let claim = r#"mutation($id: ID!, $key: String) {
        claimMicroWish(input: { wishId: $id, idempotencyKey: $key }) {
            wish { status version }
            userErrors { code }
        }
    }"#;
    let request = json!({ "id": global_id("MicroWish", first.id), "key": "claim-7f3a" });

    let original = app.query_as(Some(&partner), claim, request.clone()).await;
    assert_eq!(
        original["claimMicroWish"]["wish"],
        json!({ "status": "CLAIMED", "version": first.version + 1 })
    );
    let retried = app.query_as(Some(&partner), claim, request.clone()).await;
    assert_eq!(retried, original, "a retry returns the first result");
    let claims = wish_claim::Entity::find()
        .filter(wish_claim::Column::WishId.eq(first.id))
        .filter(wish_claim::Column::Status.eq(ClaimStatus::Active))
        .count(app.db())
        .await
        .expect("count claims");
    assert_eq!(claims, 1, "the retry changed nothing");

    // The same key for another wish is a different request.
    let (_, errors) = app
        .errors(
            Some(&partner),
            claim,
            json!({ "id": global_id("MicroWish", other.id), "key": "claim-7f3a" }),
        )
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "CONFLICT");

    // Keys are the caller's own: another caller's same key is a request of its own.
    let [_, rival]: [String; 2] = claimants(&app, 2).await.try_into().expect("two claimants");
    let rivalling = app.query_as(Some(&rival), claim, request).await;
    assert_eq!(
        rivalling["claimMicroWish"]["userErrors"][0]["code"],
        "ALREADY_CLAIMED"
    );
}

async fn wish_in(app: &TestApp, status: WishStatus) -> micro_wish::Model {
    micro_wish::Entity::find()
        .filter(micro_wish::Column::Status.eq(status))
        .order_by_asc(micro_wish::Column::Id)
        .one(app.db())
        .await
        .expect("query wishes")
        .expect("the demo district has a wish in this status")
}

/// `count` distinct claimants with `wishes:write`: each organisation's client, then Party
/// members who have no open claims.
async fn claimants(app: &TestApp, count: usize) -> Vec<String> {
    let organizations = organization::Entity::find()
        .order_by_asc(organization::Column::Id)
        .all(app.db())
        .await
        .expect("query organisations");
    let claiming_members = wish_claim::Entity::find()
        .select_only()
        .column(wish_claim::Column::ClaimantPersonId)
        .filter(wish_claim::Column::ClaimantPersonId.is_not_null())
        .into_tuple::<i64>()
        .all(app.db())
        .await
        .expect("query claims");
    let members = party_member::Entity::find()
        .filter(party_member::Column::PersonId.is_not_in(claiming_members))
        .order_by_asc(party_member::Column::Id)
        .limit(count as u64)
        .all(app.db())
        .await
        .expect("query members");
    let mut tokens: Vec<String> = organizations
        .into_iter()
        .map(|organization| {
            client_token(
                app,
                organization,
                vec![Scope::WishesRead, Scope::WishesWrite],
            )
        })
        .collect();
    tokens.extend(
        members
            .into_iter()
            .map(|member| person_token(app, member.person_id)),
    );
    assert!(
        tokens.len() >= count,
        "the demo district has {count} claimants"
    );
    tokens.truncate(count);
    tokens
}

async fn first_organization(app: &TestApp) -> organization::Model {
    organization::Entity::find()
        .order_by_asc(organization::Column::Id)
        .one(app.db())
        .await
        .expect("query organisations")
        .expect("an organisation")
}

fn client_token(app: &TestApp, organization: organization::Model, scopes: Vec<Scope>) -> String {
    app.token(Subject {
        sub: format!("dev:client-{}", organization.id),
        kind: PrincipalKind::Client,
        org: Some(organization.id),
        person: None,
        grants: Vec::new(),
        scopes: scopes
            .into_iter()
            .map(|scope| scope.as_str().to_owned())
            .collect(),
    })
}

fn person_token(app: &TestApp, person: i64) -> String {
    app.token(Subject {
        sub: format!("person:{person}"),
        kind: PrincipalKind::Person,
        org: None,
        person: Some(person),
        grants: Vec::new(),
        scopes: Vec::new(),
    })
}
