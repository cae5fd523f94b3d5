//! The micro-wish claim workflow over HTTP: exactly one winner among concurrent claimants,
//! releasing, and each refused transition with its code.

use entities::micro_wish::{self, WishStatus};
use entities::wish_claim::{self, ClaimStatus};
use entities::{organization, party_member};
use futures::future::join_all;
use gongzhi::auth::Scope;
use gongzhi::graphql::ids::global_id;
use gongzhi_tests::demo::{DISTRICT, QIYI, QIYI_GRID, QIYI_SECOND_GRID, new_person, qiyi_resident};
use gongzhi_tests::gql::mutate;
use gongzhi_tests::{Role, TestApp, e2e};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};

e2e!(
    fifty_concurrent_claims_have_exactly_one_winner,
    a_claimant_releases_and_the_wish_reopens,
    refused_claims_say_why,
    a_retried_claim_returns_its_first_result,
    a_wish_goes_from_a_resident_to_realized,
    grid_staff_post_for_residents_and_staff_review,
    disputes_go_back_to_the_claimant_or_reopen_the_wish,
    unclaimed_wishes_are_withdrawn_or_taken_down,
    overdue_claims_and_past_deadlines_are_swept_once,
    a_wish_keeps_its_history,
    units_roll_up_their_wish_statistics,
    a_claimant_holds_at_most_five_open_claims,
    concurrent_claims_of_one_claimant_stop_at_the_cap,
    the_sweep_revokes_only_the_claim_it_listed,
    a_dispute_resolved_back_to_claimed_gives_a_new_claim_period,
);

// On a server that allows each claimant one open claim.
e2e!(
    configured: |config| config.wishes.max_open_claims = 1;
    with_room_for_one_open_claim_a_second_claim_is_refused,
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

    // The other partner may not read a wish claimed by the first: not found, as in reads, and
    // nothing of the wish in the answer.
    let (_, errors) = app.errors(Some(&second), RELEASE, id.clone()).await;
    assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND");

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
    let partner = app.client_token(fulfiller.id, &[Scope::WishesRead, Scope::WishesWrite]);
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
        json!(["input", "wishId"])
    );
    assert_eq!(
        data["claimMicroWish"]["wish"]["status"], "REALIZED",
        "a refusal changes nothing"
    );

    let open = wish_in(&app, WishStatus::Open).await;
    let id = json!({ "id": global_id("MicroWish", open.id) });

    // Staff review and publish wishes; they do not claim them.
    let staff = app.staff_token(Role::CommunityStaff, QIYI).await;
    let data = app.query_as(Some(&staff), CLAIM, id.clone()).await;
    assert_eq!(
        data["claimMicroWish"]["userErrors"][0]["code"],
        "NOT_A_CLAIMANT"
    );

    // A resident may not claim their own wish.
    let beneficiary = app.person_token(open.beneficiary_person_id);
    let data = app.query_as(Some(&beneficiary), CLAIM, id.clone()).await;
    assert_eq!(data["claimMicroWish"]["userErrors"][0]["code"], "OWN_WISH");

    // A client without `wishes:write`, and an anonymous caller, are refused outright.
    let reader = app.client_token(first_organization(&app).await.id, &[Scope::WishesRead]);
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
    assert!(
        rivalling["claimMicroWish"]["wish"].is_null(),
        "a rival may not read the wish it lost"
    );
}

/// A wish the resident submits and community staff publish: its global id.
async fn published_wish(app: &TestApp, resident: &str, staff: &str) -> Value {
    let wish = act(app, resident, "submitMicroWish", new_wish(None)).await["wish"]["id"].clone();
    let review = json!({ "wishId": wish, "decision": "PUBLISH" });
    act(app, staff, "reviewMicroWish", review).await;
    wish
}

/// Runs the wish mutation `mutation` with `input` and returns its payload: the wish (its status,
/// version, review note, active claim and claims) and the user errors.
async fn act(app: &TestApp, token: &str, mutation: &str, input: Value) -> Value {
    mutate(
        app,
        token,
        &wish_mutation(mutation),
        json!({ "input": input }),
    )
    .await
}

/// The document of the wish mutation `mutation`, as [`act`] sends it.
fn wish_mutation(mutation: &str) -> String {
    let input_type = match mutation {
        "submitMicroWish" => "SubmitMicroWishInput",
        "reviewMicroWish" => "ReviewMicroWishInput",
        "deliverMicroWish" => "DeliverMicroWishInput",
        "confirmMicroWish" => "ConfirmMicroWishInput",
        "resolveMicroWishDispute" => "ResolveMicroWishDisputeInput",
        _ => "MicroWishInput",
    };
    format!(
        "mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ \
           wish {{ id status version reviewNote activeClaim {{ status evidenceNote evidenceUrls }} \
                   claims {{ status rating }} }} \
           userErrors {{ field code }} }} }}"
    )
}

/// The code of a payload's first user error, or null.
fn refusal(payload: &Value) -> &Value {
    &payload["userErrors"][0]["code"]
}

/// A valid new wish for `beneficiary` (for oneself when `None`), due in 30 days.
fn new_wish(beneficiary: Option<i64>) -> Value {
    json!({
        "beneficiaryId": beneficiary.map(|id| global_id("Person", id)),
        "title": "修理窗户",
        "description": "卧室的窗户关不严，冬天漏风。",
        "category": "HOME_REPAIR",
        "estimatedValueCents": 15000,
        "deadline": (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339(),
    })
}

async fn a_wish_goes_from_a_resident_to_realized(app: TestApp) {
    let (_, resident) = qiyi_resident(&app).await;
    let staff = app.staff_token(Role::CommunityStaff, QIYI).await;
    let [partner, other_partner]: [String; 2] =
        claimants(&app, 2).await.try_into().expect("two claimants");

    let submitted = act(&app, &resident, "submitMicroWish", new_wish(None)).await;
    assert_eq!(submitted["userErrors"], json!([]));
    assert_eq!(submitted["wish"]["status"], "SUBMITTED");
    let wish = submitted["wish"]["id"].clone();
    let id = json!({ "wishId": wish });

    // A submitted wish is invisible to partners, and only community staff review it.
    let review = json!({ "wishId": wish, "decision": "PUBLISH" });
    let query = "mutation($input: ReviewMicroWishInput!) { reviewMicroWish(input: $input) { userErrors { code } } }";
    let (_, errors) = app
        .errors(Some(&partner), query, json!({ "input": review }))
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND");
    let grid_staff = app.staff_token(Role::GridStaff, QIYI_GRID).await;
    assert_eq!(
        refusal(&act(&app, &grid_staff, "reviewMicroWish", review.clone()).await),
        "NOT_PERMITTED"
    );
    assert_eq!(
        refusal(&act(&app, &resident, "claimMicroWish", id.clone()).await),
        "WISH_NOT_OPEN"
    );
    let published = act(&app, &staff, "reviewMicroWish", review.clone()).await;
    assert_eq!(published["wish"]["status"], "OPEN");
    assert_eq!(
        refusal(&act(&app, &staff, "reviewMicroWish", review).await),
        "WISH_NOT_SUBMITTED"
    );

    // The claimant alone delivers; an undelivered wish cannot be confirmed.
    let delivery = json!({ "wishId": wish, "note": "已更换窗户密封条", "photoUrls": ["https://example.org/window.jpg"] });
    assert_eq!(
        refusal(&act(&app, &partner, "deliverMicroWish", delivery.clone()).await),
        "WISH_NOT_CLAIMED"
    );
    assert_eq!(
        act(&app, &partner, "claimMicroWish", id.clone()).await["wish"]["status"],
        "CLAIMED"
    );
    let confirmation = json!({ "wishId": wish, "rating": 5, "feedback": "谢谢！" });
    assert_eq!(
        refusal(&act(&app, &resident, "confirmMicroWish", confirmation.clone()).await),
        "WISH_NOT_DELIVERED"
    );
    let (_, errors) = app
        .errors(
            Some(&other_partner),
            &wish_mutation("deliverMicroWish"),
            json!({ "input": delivery.clone() }),
        )
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND");
    let delivered = act(&app, &partner, "deliverMicroWish", delivery).await;
    assert_eq!(delivered["wish"]["status"], "DELIVERED");
    assert_eq!(
        delivered["wish"]["activeClaim"]["evidenceUrls"],
        json!(["https://example.org/window.jpg"])
    );

    // The beneficiary confirms; the claimant may not.
    assert_eq!(
        refusal(&act(&app, &partner, "confirmMicroWish", confirmation.clone()).await),
        "NOT_PERMITTED"
    );
    let realized = act(&app, &resident, "confirmMicroWish", confirmation).await;
    assert_eq!(realized["wish"]["status"], "REALIZED");
    assert_eq!(
        realized["wish"]["claims"],
        json!([{ "status": "FULFILLED", "rating": 5 }])
    );
    assert_eq!(
        realized["wish"]["version"], 5,
        "submitted, published, claimed, delivered, realized"
    );

    let audited = entities::audit_log::Entity::find()
        .filter(entities::audit_log::Column::EntityType.eq("micro_wish"))
        .filter(entities::audit_log::Column::ToState.eq("realized"))
        .count(app.db())
        .await
        .expect("count audit records");
    assert_eq!(audited, 1, "every transition leaves an audit record");
}

async fn grid_staff_post_for_residents_and_staff_review(app: TestApp) {
    let (resident_id, resident) = qiyi_resident(&app).await;
    let grid_staff = app.staff_token(Role::GridStaff, QIYI_GRID).await;
    let other_grid_staff = app.staff_token(Role::GridStaff, QIYI_SECOND_GRID).await;
    let staff = app.staff_token(Role::CommunityStaff, QIYI).await;

    // Staff of another grid may not read this resident, so for them the resident is not found,
    // as any id that names nobody: the answer does not tell residents apart. Nor may anyone
    // post anonymously. The resident's own grid may post.
    let submit = wish_mutation("submitMicroWish");
    for (token, beneficiary) in [
        (Some(other_grid_staff.as_str()), resident_id),
        (Some(other_grid_staff.as_str()), 999_999_999),
    ] {
        let input = json!({ "input": new_wish(Some(beneficiary)) });
        let (_, errors) = app.errors(token, &submit, input).await;
        assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND", "{errors:?}");
    }
    for beneficiary in [Some(resident_id), None] {
        let input = json!({ "input": new_wish(beneficiary) });
        let (status, errors) = app.errors(None, &submit, input).await;
        assert_eq!(
            errors[0]["extensions"]["code"], "UNAUTHENTICATED",
            "{errors:?}"
        );
        assert_eq!(status, 200);
    }
    let submitted = act(
        &app,
        &grid_staff,
        "submitMicroWish",
        new_wish(Some(resident_id)),
    )
    .await;
    assert_eq!(submitted["wish"]["status"], "SUBMITTED");
    let wish = submitted["wish"]["id"].clone();

    // Grid staff do not review; community staff reject with a reason.
    let reject = json!({ "wishId": wish, "decision": "REJECT", "note": "请先联系网格员核实" });
    assert_eq!(
        refusal(&act(&app, &grid_staff, "reviewMicroWish", reject.clone()).await),
        "NOT_PERMITTED"
    );
    let rejected = act(&app, &staff, "reviewMicroWish", reject).await;
    assert_eq!(rejected["wish"]["status"], "REJECTED");
    assert_eq!(rejected["wish"]["reviewNote"], "请先联系网格员核实");

    // A deadline in the past and an empty title are refused.
    let mut late = new_wish(None);
    late["deadline"] = json!("2020-01-01T00:00:00Z");
    let refused = act(&app, &resident, "submitMicroWish", late).await;
    assert_eq!(
        refused["userErrors"],
        json!([{ "field": ["input", "deadline"], "code": "DEADLINE_PASSED" }])
    );
    let mut untitled = new_wish(None);
    untitled["title"] = json!("");
    let query = "mutation($input: SubmitMicroWishInput!) { submitMicroWish(input: $input) { userErrors { code } } }";
    let (_, errors) = app
        .errors(Some(&resident), query, json!({ "input": untitled }))
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "BAD_USER_INPUT");
}

async fn disputes_go_back_to_the_claimant_or_reopen_the_wish(app: TestApp) {
    let (_, resident) = qiyi_resident(&app).await;
    let grid_staff = app.staff_token(Role::GridStaff, QIYI_GRID).await;
    let staff = app.staff_token(Role::CommunityStaff, QIYI).await;
    let [partner]: [String; 1] = claimants(&app, 1).await.try_into().expect("a claimant");

    for resolution in ["BACK_TO_CLAIMED", "REVOKE_CLAIM"] {
        let wish = published_wish(&app, &resident, &staff).await;
        let id = json!({ "wishId": wish });
        act(&app, &partner, "claimMicroWish", id.clone()).await;
        let settle = json!({ "wishId": wish, "resolution": resolution });
        assert_eq!(
            refusal(&act(&app, &staff, "resolveMicroWishDispute", settle.clone()).await),
            "WISH_NOT_DISPUTED"
        );
        act(
            &app,
            &partner,
            "deliverMicroWish",
            json!({ "wishId": wish, "note": "已上门" }),
        )
        .await;

        // The claimant may not dispute their own delivery; grid staff may, for the resident.
        assert_eq!(
            refusal(&act(&app, &partner, "disputeMicroWish", id.clone()).await),
            "NOT_PERMITTED"
        );
        assert_eq!(
            act(&app, &grid_staff, "disputeMicroWish", id.clone()).await["wish"]["status"],
            "DISPUTED"
        );

        // Grid staff do not settle disputes; community staff do.
        assert_eq!(
            refusal(&act(&app, &grid_staff, "resolveMicroWishDispute", settle.clone()).await),
            "NOT_PERMITTED"
        );
        let settled = act(&app, &staff, "resolveMicroWishDispute", settle).await;
        if resolution == "BACK_TO_CLAIMED" {
            assert_eq!(settled["wish"]["status"], "CLAIMED");
            assert_eq!(settled["wish"]["activeClaim"]["status"], "ACTIVE");
            let redelivered = act(
                &app,
                &partner,
                "deliverMicroWish",
                json!({ "wishId": wish, "note": "重新修好" }),
            )
            .await;
            assert_eq!(redelivered["wish"]["status"], "DELIVERED");
        } else {
            assert_eq!(settled["wish"]["status"], "OPEN");
            assert_eq!(
                settled["wish"]["claims"],
                json!([{ "status": "REVOKED", "rating": null }])
            );
        }
    }
}

async fn unclaimed_wishes_are_withdrawn_or_taken_down(app: TestApp) {
    let (_, resident) = qiyi_resident(&app).await;
    let staff = app.staff_token(Role::CommunityStaff, QIYI).await;
    let [partner]: [String; 1] = claimants(&app, 1).await.try_into().expect("a claimant");
    let mut wishes = Vec::new();
    for _ in 0..3 {
        let wish = published_wish(&app, &resident, &staff).await;
        wishes.push(json!({ "wishId": wish }));
    }

    assert_eq!(
        refusal(&act(&app, &partner, "withdrawMicroWish", wishes[0].clone()).await),
        "NOT_POSTER"
    );
    assert_eq!(
        act(&app, &resident, "withdrawMicroWish", wishes[0].clone()).await["wish"]["status"],
        "WITHDRAWN"
    );

    assert_eq!(
        refusal(&act(&app, &partner, "takeDownMicroWish", wishes[1].clone()).await),
        "NOT_PERMITTED"
    );
    assert_eq!(
        act(&app, &staff, "takeDownMicroWish", wishes[1].clone()).await["wish"]["status"],
        "TAKEN_DOWN"
    );

    // Once claimed, a wish is neither withdrawn nor taken down.
    act(&app, &partner, "claimMicroWish", wishes[2].clone()).await;
    assert_eq!(
        refusal(&act(&app, &resident, "withdrawMicroWish", wishes[2].clone()).await),
        "WISH_NOT_OPEN"
    );
    assert_eq!(
        refusal(&act(&app, &staff, "takeDownMicroWish", wishes[2].clone()).await),
        "WISH_NOT_OPEN"
    );
}

/// The first wish (by id) in `status`.
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
    // Tokens act only for active organisations.
    let organizations = organization::Entity::find()
        .filter(organization::Column::Status.eq(organization::OrganizationStatus::Active))
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
            app.client_token(organization.id, &[Scope::WishesRead, Scope::WishesWrite])
        })
        .collect();
    tokens.extend(
        members
            .into_iter()
            .map(|member| app.person_token(member.person_id)),
    );
    assert!(
        tokens.len() >= count,
        "the demo district has {count} claimants"
    );
    tokens.truncate(count);
    tokens
}

/// The first organisation (by id), of any kind.
async fn first_organization(app: &TestApp) -> organization::Model {
    organization::Entity::find()
        .order_by_asc(organization::Column::Id)
        .one(app.db())
        .await
        .expect("query organisations")
        .expect("an organisation")
}

/// Two instances sweeping at the same moment act on each wish once: the overdue claim is
/// revoked and its wish reopened, the open wish past its deadline expires.
async fn overdue_claims_and_past_deadlines_are_swept_once(app: TestApp) {
    use entities::audit_log;
    use sea_orm::{ActiveModelTrait, Set};

    let claimed = wish_in(&app, WishStatus::Claimed).await;
    let claim = wish_claim::Entity::find()
        .filter(wish_claim::Column::WishId.eq(claimed.id))
        .filter(wish_claim::Column::Status.eq(ClaimStatus::Active))
        .one(app.db())
        .await
        .expect("query claims")
        .expect("the claimed wish's claim");
    let mut overdue: wish_claim::ActiveModel = claim.clone().into();
    overdue.due_at = Set(chrono::Utc::now() - chrono::Duration::hours(1));
    overdue
        .update(app.db())
        .await
        .expect("make the claim overdue");
    let open = wish_in(&app, WishStatus::Open).await;
    let mut late: micro_wish::ActiveModel = open.clone().into();
    late.deadline = Set(chrono::Utc::now() - chrono::Duration::hours(1));
    late.update(app.db()).await.expect("let the deadline pass");

    let now = chrono::Utc::now();
    let other = app.another_instance().await;
    let (first, second) = tokio::join!(
        gongzhi::domain::wishes::sweep(app.db(), now),
        gongzhi::domain::wishes::sweep(other.db(), now)
    );
    let (first, second) = (first.expect("a sweep"), second.expect("a sweep"));
    assert_eq!(first.revoked_claims + second.revoked_claims, 1);
    assert!(first.expired_wishes + second.expired_wishes >= 1);

    let reopened = micro_wish::Entity::find_by_id(claimed.id)
        .one(app.db())
        .await
        .expect("query")
        .expect("the wish");
    assert_eq!(reopened.status, WishStatus::Open);
    let revoked = wish_claim::Entity::find_by_id(claim.id)
        .one(app.db())
        .await
        .expect("query")
        .expect("the claim");
    assert_eq!(revoked.status, ClaimStatus::Revoked);
    let expired = micro_wish::Entity::find_by_id(open.id)
        .one(app.db())
        .await
        .expect("query")
        .expect("the wish");
    assert_eq!(expired.status, WishStatus::Expired);
    for (wish, action) in [
        (claimed.id, "revoke_overdue_claim"),
        (open.id, "expire_wish"),
    ] {
        let records = audit_log::Entity::find()
            .filter(audit_log::Column::EntityId.eq(wish))
            .filter(audit_log::Column::Action.eq(action))
            .count(app.db())
            .await
            .expect("count audit records");
        assert_eq!(records, 1, "{action} happened once");
    }
}

async fn a_wish_keeps_its_history(app: TestApp) {
    let (_, resident) = qiyi_resident(&app).await;
    let staff = app.staff_token(Role::CommunityStaff, QIYI).await;
    let [partner]: [String; 1] = claimants(&app, 1).await.try_into().expect("a claimant");
    let wish = published_wish(&app, &resident, &staff).await;
    act(&app, &partner, "claimMicroWish", json!({ "wishId": wish })).await;

    let query = r#"query($id: ID!) { node(id: $id) { ... on MicroWish {
        history { action fromStatus toStatus actorKind actorOrganization { id } }
    } } }"#;
    let seen_by_staff = app
        .query_as(Some(&staff), query, json!({ "id": wish }))
        .await;
    let history = seen_by_staff["node"]["history"]
        .as_array()
        .expect("a history")
        .clone();
    let steps: Vec<(&str, &str)> = history
        .iter()
        .map(|event| {
            (
                event["action"].as_str().unwrap_or_default(),
                event["toStatus"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("submit_wish", "SUBMITTED"),
            ("publish_wish", "OPEN"),
            ("claim_wish", "CLAIMED")
        ]
    );
    assert_eq!(history[2]["fromStatus"], "OPEN");
    assert_eq!(history[2]["actorKind"], "API_CLIENT");
    assert!(
        history[2]["actorOrganization"]["id"].is_string(),
        "staff see who claimed"
    );

    let seen_by_partner = app
        .query_as(Some(&partner), query, json!({ "id": wish }))
        .await;
    let history = seen_by_partner["node"]["history"]
        .as_array()
        .expect("a history");
    assert_eq!(history.len(), 3);
    assert!(
        history
            .iter()
            .all(|event| event["actorOrganization"].is_null()),
        "de-identified for partners"
    );
}

async fn units_roll_up_their_wish_statistics(app: TestApp) {
    use std::collections::BTreeMap;
    let query = r#"query($code: String!) { adminUnitByCode(code: $code) {
        wishStatistics { total byStatus { status count } fulfilmentRate medianDaysToRealize }
    } }"#;
    let wishes = micro_wish::Entity::find()
        .all(app.db())
        .await
        .expect("query wishes");
    for code in [DISTRICT, QIYI] {
        let data = app.query(query, json!({ "code": code })).await;
        let statistics = &data["adminUnitByCode"]["wishStatistics"];
        let unit = entities::admin_unit::Entity::find()
            .filter(entities::admin_unit::Column::Code.eq(code))
            .one(app.db())
            .await
            .expect("query units")
            .expect("the unit");
        let counted: Vec<&micro_wish::Model> = wishes
            .iter()
            .filter(|wish| {
                unit.level == entities::admin_unit::UnitLevel::District
                    || wish.community_id == unit.id
            })
            .collect();
        assert_eq!(statistics["total"], json!(counted.len()), "{code}");
        let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
        for wish in &counted {
            let status = serde_json::to_value(wish.status).expect("a status");
            *by_status
                .entry(status.as_str().unwrap_or_default().to_uppercase())
                .or_default() += 1;
        }
        let served: BTreeMap<String, u64> = statistics["byStatus"]
            .as_array()
            .expect("counts")
            .iter()
            .map(|count| {
                (
                    count["status"].as_str().unwrap_or_default().to_owned(),
                    count["count"].as_u64().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(served, by_status, "{code}");
        let settled = ["REALIZED", "EXPIRED", "WITHDRAWN", "TAKEN_DOWN"]
            .iter()
            .map(|s| by_status.get(*s).copied().unwrap_or(0))
            .sum::<u64>();
        let realized = by_status.get("REALIZED").copied().unwrap_or(0);
        let rate = statistics["fulfilmentRate"].as_f64().expect("a rate");
        assert!(
            (rate - realized as f64 / settled as f64).abs() < 1e-9,
            "{code}: {rate}"
        );
        let mut days: Vec<f64> = counted
            .iter()
            .filter(|wish| wish.status == WishStatus::Realized)
            .filter_map(|wish| Some((wish.realized_at? - wish.published_at?).num_seconds()))
            .map(|seconds| seconds as f64 / 86_400.0)
            .collect();
        days.sort_by(f64::total_cmp);
        assert!(!days.is_empty(), "{code} has realised wishes");
        let middle = days.len() / 2;
        let median = if days.len().is_multiple_of(2) {
            (days[middle - 1] + days[middle]) / 2.0
        } else {
            days[middle]
        };
        let served = statistics["medianDaysToRealize"]
            .as_f64()
            .expect("a median");
        assert!(
            (served - median).abs() < 1e-3,
            "{code}: {served} ≠ {median}"
        );
    }
}

/// The configured cap (5 by default) on open claims per claimant holds.
async fn a_claimant_holds_at_most_five_open_claims(app: TestApp) {
    let (_, resident) = qiyi_resident(&app).await;
    let staff = app.staff_token(Role::CommunityStaff, QIYI).await;
    let [partner]: [String; 1] = claimants(&app, 1).await.try_into().expect("a claimant");
    let organization = first_organization(&app).await;
    let held = wish_claim::Entity::find()
        .filter(wish_claim::Column::ClaimantOrganizationId.eq(organization.id))
        .filter(wish_claim::Column::Status.is_in([ClaimStatus::Active, ClaimStatus::Delivered]))
        .count(app.db())
        .await
        .expect("count claims") as usize;
    assert!(held < 5, "the claimant has room for a claim");
    let mut codes = Vec::new();
    for _ in 0..(6 - held) {
        let wish = published_wish(&app, &resident, &staff).await;
        codes.push(
            refusal(&act(&app, &partner, "claimMicroWish", json!({ "wishId": wish })).await)
                .clone(),
        );
    }
    let mut expected = vec![Value::Null; 5 - held];
    expected.push(json!("TOO_MANY_OPEN_CLAIMS"));
    assert_eq!(codes, expected, "{held} claims held before");
}

/// With the cap on open claims configured down to 1, a claimant holding one open claim is
/// refused a second open wish.
async fn with_room_for_one_open_claim_a_second_claim_is_refused(app: TestApp) {
    let wishes = micro_wish::Entity::find()
        .filter(micro_wish::Column::Status.eq(WishStatus::Open))
        .order_by_asc(micro_wish::Column::Id)
        .limit(2)
        .all(app.db())
        .await
        .expect("query wishes");
    let [first, second] = [&wishes[0], &wishes[1]].map(|wish| global_id("MicroWish", wish.id));
    // A newcomer holds no claims, and no wish is their own.
    let claimant = app.person_token(new_person(&app).await);

    let claimed = act(
        &app,
        &claimant,
        "claimMicroWish",
        json!({ "wishId": first }),
    )
    .await;
    assert_eq!(claimed["userErrors"], json!([]), "{claimed}");
    assert_eq!(claimed["wish"]["status"], "CLAIMED");
    let refused = act(
        &app,
        &claimant,
        "claimMicroWish",
        json!({ "wishId": second }),
    )
    .await;
    assert_eq!(
        refused["userErrors"],
        json!([{ "field": ["input", "wishId"], "code": "TOO_MANY_OPEN_CLAIMS" }])
    );
    assert_eq!(
        refused["wish"]["status"], "OPEN",
        "a refusal changes nothing"
    );
}

/// One claimant's concurrent claims of ten open wishes, split between two instances: five win
/// and five are TOO_MANY_OPEN_CLAIMS — the count and the claim are one step per claimant.
async fn concurrent_claims_of_one_claimant_stop_at_the_cap(app: TestApp) {
    let second = app.another_instance().await;
    let (_, resident) = qiyi_resident(&app).await;
    let staff = app.staff_token(Role::CommunityStaff, QIYI).await;
    let mut wishes = Vec::new();
    for _ in 0..10 {
        let wish = published_wish(&app, &resident, &staff).await;
        wishes.push(wish);
    }
    // A newcomer holds no claims, and none of these wishes is their own.
    let claimant = app.person_token(new_person(&app).await);
    let answers = join_all(wishes.iter().enumerate().map(|(index, wish)| {
        let instance = if index % 2 == 0 { &app } else { &second };
        act(
            instance,
            &claimant,
            "claimMicroWish",
            json!({ "wishId": wish }),
        )
    }))
    .await;
    let mut codes: Vec<Value> = answers
        .iter()
        .map(|answer| refusal(answer).clone())
        .collect();
    codes.sort_by_key(Value::to_string);
    let mut expected = vec![json!("TOO_MANY_OPEN_CLAIMS"); 5];
    expected.extend(vec![Value::Null; 5]);
    expected.sort_by_key(Value::to_string);
    assert_eq!(codes, expected, "{answers:#?}");
}

/// The sweep lists an overdue claim; before it acts, the claimant releases it and another
/// claims the wish. Acting on its list, the sweep leaves the new claim (due in a week) alone.
async fn the_sweep_revokes_only_the_claim_it_listed(app: TestApp) {
    use sea_orm::{ActiveModelTrait, Set};

    let [first, second]: [String; 2] = claimants(&app, 2).await.try_into().expect("claimants");
    let wish = wish_in(&app, WishStatus::Open).await;
    let id = global_id("MicroWish", wish.id);
    let claimed = act(&app, &first, "claimMicroWish", json!({ "wishId": id })).await;
    assert_eq!(claimed["userErrors"], json!([]), "{claimed}");
    let claim = active_claim(&app, wish.id).await;
    let mut overdue: wish_claim::ActiveModel = claim.into();
    overdue.due_at = Set(chrono::Utc::now() - chrono::Duration::hours(1));
    // What the sweep lists.
    let listed = overdue
        .update(app.db())
        .await
        .expect("make the claim overdue");

    let released = act(
        &app,
        &first,
        "releaseMicroWishClaim",
        json!({ "wishId": id }),
    )
    .await;
    assert_eq!(released["userErrors"], json!([]), "{released}");
    let reclaimed = act(&app, &second, "claimMicroWish", json!({ "wishId": id })).await;
    assert_eq!(reclaimed["userErrors"], json!([]), "{reclaimed}");
    let current = active_claim(&app, wish.id).await;

    let now = chrono::Utc::now();
    let revoked = gongzhi::domain::wishes::revoke_overdue_claim(app.db(), &listed, now)
        .await
        .expect("the sweep's step");
    assert!(!revoked, "the listed claim was released meanwhile");
    assert_eq!(
        active_claim(&app, wish.id).await,
        current,
        "the new claim stands"
    );
    let report = gongzhi::domain::wishes::sweep(app.db(), now)
        .await
        .expect("a sweep");
    assert_eq!(report.revoked_claims, 0, "nothing is overdue");
    let wish = micro_wish::Entity::find_by_id(wish.id)
        .one(app.db())
        .await
        .expect("query")
        .expect("the wish");
    assert_eq!(wish.status, WishStatus::Claimed);
}

/// Staff send a disputed delivery back to the claimant after its claim period ended: the claim
/// gets a new period, and the sweep does not revoke it at once.
async fn a_dispute_resolved_back_to_claimed_gives_a_new_claim_period(app: TestApp) {
    use sea_orm::{ActiveModelTrait, Set};

    let (_, resident) = qiyi_resident(&app).await;
    let staff = app.staff_token(Role::CommunityStaff, QIYI).await;
    let [claimant]: [String; 1] = claimants(&app, 1).await.try_into().expect("a claimant");
    let wish = published_wish(&app, &resident, &staff).await;
    act(&app, &claimant, "claimMicroWish", json!({ "wishId": wish })).await;
    let delivered = act(
        &app,
        &claimant,
        "deliverMicroWish",
        json!({ "wishId": wish, "note": "已送达" }),
    )
    .await;
    assert_eq!(delivered["userErrors"], json!([]), "{delivered}");
    let row = gongzhi::graphql::ids::decode(&wish.as_str().expect("an id").into())
        .expect("a wish id")
        .1;
    let claim = wish_claim::Entity::find()
        .filter(wish_claim::Column::WishId.eq(row))
        .filter(wish_claim::Column::Status.eq(ClaimStatus::Delivered))
        .one(app.db())
        .await
        .expect("query claims")
        .expect("the delivered claim");
    let mut late: wish_claim::ActiveModel = claim.into();
    late.due_at = Set(chrono::Utc::now() - chrono::Duration::days(1));
    late.update(app.db()).await.expect("let the period end");
    act(
        &app,
        &resident,
        "disputeMicroWish",
        json!({ "wishId": wish }),
    )
    .await;
    let resolved = act(
        &app,
        &staff,
        "resolveMicroWishDispute",
        json!({ "wishId": wish, "resolution": "BACK_TO_CLAIMED" }),
    )
    .await;
    assert_eq!(resolved["userErrors"], json!([]), "{resolved}");
    assert_eq!(resolved["wish"]["status"], "CLAIMED");
    let claim = active_claim(&app, row).await;
    let days = (claim.due_at - chrono::Utc::now()).num_hours() as f64 / 24.0;
    assert!(
        (6.9..=7.0).contains(&days),
        "a new week to deliver: {days} days"
    );
    let report = gongzhi::domain::wishes::sweep(app.db(), chrono::Utc::now())
        .await
        .expect("a sweep");
    assert_eq!(report.revoked_claims, 0);
}

/// The wish's active claim.
async fn active_claim(app: &TestApp, wish: i64) -> wish_claim::Model {
    wish_claim::Entity::find()
        .filter(wish_claim::Column::WishId.eq(wish))
        .filter(wish_claim::Column::Status.eq(ClaimStatus::Active))
        .one(app.db())
        .await
        .expect("query claims")
        .expect("an active claim")
}
