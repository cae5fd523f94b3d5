//! What one request may ask of the server: a connection is priced by its page, a query costing
//! more than the maximum is refused before it runs, fragments cannot multiply a short query into
//! a huge one, and one request uses a bounded share of the connection pool.

use gongzhi_tests::{TestApp, e2e};
use serde_json::json;

e2e!(
    a_costly_query_is_refused_before_it_runs,
    many_aliases_are_refused_before_they_run,
    fragments_spread_into_each_other_are_refused_at_once,
    a_plain_list_holds_its_declared_maximum_and_is_priced_at_it,
);

// One request may use two connections of twenty at once.
e2e!(
    configured: |config| {
        config.database.max_connections = 20;
        config.database.max_connections_per_request = 2;
    };
    one_request_uses_a_bounded_share_of_the_pool,
);

/// `count` aliases of `field`.
fn aliases(count: usize, field: &str) -> String {
    let fields: String = (0..count).map(|i| format!("a{i}: {field} ")).collect();
    format!("{{ {fields}}}")
}

const PAGE_OF_ACTIVITIES: &str = "volunteerActivities(first: 100) { nodes { id title } }";

async fn a_costly_query_is_refused_before_it_runs(app: TestApp) {
    // One page of 100 costs 1 + 100 and runs.
    let (status, body) = app
        .post(None, &aliases(1, PAGE_OF_ACTIVITIES), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");

    // Two hundred of them cost 200 × 101 and run not at all.
    let before = app.statements();
    let (status, body) = app
        .post(None, &aliases(200, PAGE_OF_ACTIVITIES), json!({}))
        .await;
    assert_eq!(status, 400, "{body}");
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "QUERY_TOO_COSTLY", "{body}");
    assert_eq!(error["extensions"]["cost"], 20_200);
    assert_eq!(error["extensions"]["maximumCost"], 1_000);
    assert!(body["data"].is_null(), "{body}");
    assert_eq!(app.statements(), before, "nothing ran");

    // A page size in a variable counts the same.
    let (_, body) = app
        .post(
            None,
            "query($n: Int) { a: volunteerActivities(first: $n) { nodes { id } } \
             b: volunteerActivities(first: $n) { nodes { id } } }",
            json!({ "n": 100 }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let (_, body) = app
        .post(
            None,
            &format!(
                "query($n: Int) {{ {} }}",
                (0..10)
                    .map(|i| format!("a{i}: volunteerActivities(first: $n) {{ nodes {{ id }} }}"))
                    .collect::<String>()
            ),
            json!({ "n": 100 }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["cost"], 1_010, "{body}");
}

async fn many_aliases_are_refused_before_they_run(app: TestApp) {
    let query = aliases(3_000, PAGE_OF_ACTIVITIES);
    assert!(query.len() > 150_000);
    let before = app.statements();
    let (_, body) = app.post(None, &query, json!({})).await;
    let errors = body["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "one refusal, not one error per alias");
    assert_eq!(
        errors[0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
        "{body}"
    );
    assert_eq!(app.statements(), before, "nothing ran");
}

async fn fragments_spread_into_each_other_are_refused_at_once(app: TestApp) {
    // Forty fragments, each spreading the one below twice: 2^40 `__typename`s if expanded.
    let mut query = String::from("{ ...f40 } fragment f0 on Query { __typename }");
    for level in 1..=40 {
        query.push_str(&format!(
            " fragment f{level} on Query {{ ...f{below} ...f{below} }}",
            below = level - 1
        ));
    }
    let (_, body) = app.post(None, &query, json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
        "{body}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|message| message.contains("fragments are expanded")),
        "{body}"
    );
}

async fn one_request_uses_a_bounded_share_of_the_pool(app: TestApp) {
    let before = app.pool_size();
    // Forty lists side by side, each two statements (the page and its count): well within the
    // cost limit, and eighty statements that would all want a connection at once.
    let query = aliases(40, "adminUnits(first: 2) { totalCount nodes { name } }");
    let (status, body) = app.post(None, &query, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(
        body["data"]["a39"]["nodes"].as_array().map(Vec::len),
        Some(2)
    );
    // Without a share the request takes all twenty. With one, the pool still opens a connection
    // when none is idle, and a connection used a moment ago may still be on its way back to it
    // (sqlx returns it in a task of its own): a few more than the share, never half the pool.
    assert!(
        app.pool_size() < 10,
        "the pool grew from {before} to {} connections for one request",
        app.pool_size()
    );
}

/// A list that is not a connection holds at most its declared maximum for each parent (a
/// wish's claims: 20), takes `first` for fewer, and is priced at what it may hold.
async fn a_plain_list_holds_its_declared_maximum_and_is_priced_at_it(app: TestApp) {
    use entities::micro_wish;
    use entities::wish_claim::{self, ClaimStatus, ClaimantKind};
    use gongzhi::graphql::ids::global_id;
    use gongzhi_tests::demo::{DISTRICT, partner_organization};
    use sea_orm::{ActiveValue::Set, EntityTrait, QueryOrder, QuerySelect};

    // Two wishes with 25 claims each, released one after another.
    let partner = partner_organization(&app).await;
    let wishes = micro_wish::Entity::find()
        .order_by_asc(micro_wish::Column::Id)
        .limit(2)
        .all(app.db())
        .await
        .expect("two wishes");
    let now = chrono::Utc::now();
    for wish in &wishes {
        let claims = (0..25).map(|_| wish_claim::ActiveModel {
            wish_id: Set(wish.id),
            claimant_kind: Set(ClaimantKind::Organization),
            claimant_organization_id: Set(Some(partner.id)),
            status: Set(ClaimStatus::Released),
            due_at: Set(now),
            closed_at: Set(Some(now)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
        wish_claim::Entity::insert_many(claims)
            .exec(app.db())
            .await
            .expect("claims inserted");
    }
    let ids: Vec<String> = wishes
        .iter()
        .map(|wish| global_id("MicroWish", wish.id).0)
        .collect();
    let staff = app
        .staff_token(gongzhi_tests::Role::DistrictStaff, DISTRICT)
        .await;
    let claims_of = |data: &serde_json::Value| -> Vec<usize> {
        data["nodes"]
            .as_array()
            .expect("the wishes")
            .iter()
            .map(|wish| wish["claims"].as_array().map_or(0, Vec::len))
            .collect()
    };

    // Each wish holds its first 20 (the limit is per wish); the price says 20 each.
    let query = "query($ids: [ID!]!, $first: Int) { nodes(ids: $ids) { ... on MicroWish { claims(first: $first) { id status } } } }";
    let (status, body) = app.post(Some(&staff), query, json!({ "ids": ids })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(claims_of(&body["data"]), [20, 20], "{body}");
    assert_eq!(
        body["extensions"]["cost"]["requestedQueryCost"],
        2 * (1 + 20)
    );
    // `first` asks for fewer, and is priced so.
    let (_, body) = app
        .post(Some(&staff), query, json!({ "ids": ids, "first": 3 }))
        .await;
    assert_eq!(claims_of(&body["data"]), [3, 3], "{body}");
    assert_eq!(
        body["extensions"]["cost"]["requestedQueryCost"],
        2 * (1 + 3)
    );
    // Out of range, it is refused.
    for first in [0, 21] {
        let (_, errors) = app
            .errors(Some(&staff), query, json!({ "ids": ids, "first": first }))
            .await;
        assert_eq!(
            errors[0]["extensions"]["code"], "BAD_USER_INPUT",
            "{errors:?}"
        );
    }
    // Under a page of 100, the maximum makes the query too costly; `first` makes it fit.
    let nested =
        "query($first: Int) { microWishes(first: 100) { nodes { claims(first: $first) { id } } } }";
    let (_, body) = app.post(Some(&staff), nested, json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "QUERY_TOO_COSTLY",
        "{body}"
    );
    assert_eq!(body["errors"][0]["extensions"]["cost"], 1 + 100 * (1 + 20));
    let (status, body) = app.post(Some(&staff), nested, json!({ "first": 5 })).await;
    assert_eq!(status, 200, "{body}");
}
