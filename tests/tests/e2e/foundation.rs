//! The foundation over HTTP: the demo district, the read API's conventions (global ids,
//! connections, scoping of anonymous callers), batching, and the HTTP surface.

use gongzhi_tests::demo::DISTRICT;
use gongzhi_tests::{Role, TestApp, e2e};
use serde_json::{Value, json};

e2e!(
    the_demo_district_answers_a_nested_query,
    anonymous_callers_see_only_the_public_catalogue,
    nodes_are_fetched_again_by_their_global_id,
    pages_follow_their_cursors_both_ways,
    page_sizes_are_capped,
    nested_relations_are_batched_whatever_the_page_size,
    health_and_request_ids,
);

async fn the_demo_district_answers_a_nested_query(app: TestApp) {
    let data = app
        .query(
            r#"{
                adminUnits(filter: { level: COMMUNITY, nameContains: "七一" }, first: 1) {
                    totalCount
                    nodes {
                        name
                        openWishCount
                        parent { level }
                        serviceCentres { kind }
                        children { level staff { role } openWishCount }
                    }
                }
            }"#,
            json!({}),
        )
        .await;
    let units = &data["adminUnits"];
    assert_eq!(units["totalCount"], 1);
    let community = &units["nodes"][0];
    assert_eq!(community["name"], "七一社区");
    assert_eq!(community["parent"]["level"], "SUBDISTRICT");
    assert_eq!(
        community["serviceCentres"].as_array().map(Vec::len),
        Some(7),
        "seven centres: {community}"
    );
    let grids = community["children"].as_array().expect("grids");
    assert!(!grids.is_empty());
    let open_in_grids: u64 = grids
        .iter()
        .filter_map(|grid| grid["openWishCount"].as_u64())
        .sum();
    assert_eq!(
        community["openWishCount"].as_u64(),
        Some(open_in_grids),
        "a community's open wishes are its grids'"
    );
    for grid in grids {
        assert_eq!(grid["level"], "GRID");
        let mut roles: Vec<&str> = grid["staff"]
            .as_array()
            .expect("staff")
            .iter()
            .filter_map(|post| post["role"].as_str())
            .collect();
        roles.sort_unstable();
        assert_eq!(
            roles,
            ["GRID_ADMINISTRATOR", "GRID_LEADER", "PARTY_INSTRUCTOR"],
            "a grid's three role holders"
        );
    }
}

async fn anonymous_callers_see_only_the_public_catalogue(app: TestApp) {
    for protected in [
        "people",
        "partyMembers",
        "memberRegistrations",
        "postClaims",
        "feedbackReports",
        "serviceRecords",
        "activitySignups",
        "wishClaims",
    ] {
        let (status, errors) = app
            .errors(
                None,
                &format!("{{ {protected} {{ totalCount }} }}"),
                json!({}),
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            errors[0]["extensions"]["code"], "UNAUTHENTICATED",
            "{protected}"
        );
    }
    let data = app
        .query(
            r#"{
                microWishes(first: 100) { totalCount nodes { status beneficiary { id } } }
                volunteerActivities(first: 100) { totalCount nodes { status } }
                adminUnits { totalCount }
                organizations { totalCount }
            }"#,
            json!({}),
        )
        .await;
    let wishes = data["microWishes"]["nodes"].as_array().expect("wishes");
    assert!(!wishes.is_empty(), "open wishes are public");
    for wish in wishes {
        assert_eq!(wish["status"], "OPEN");
        assert_eq!(
            wish["beneficiary"],
            Value::Null,
            "the beneficiary stays hidden"
        );
    }
    let activities = data["volunteerActivities"]["nodes"]
        .as_array()
        .expect("activities");
    assert!(!activities.is_empty());
    for activity in activities {
        let status = activity["status"].as_str().unwrap_or_default();
        assert!(
            !["DRAFT", "PENDING_APPROVAL", "CANCELLED"].contains(&status),
            "{status} is not public"
        );
    }
    assert!(data["adminUnits"]["totalCount"].as_u64() > Some(10));
    assert!(data["organizations"]["totalCount"].as_u64() > Some(0));

    // The district's staff see what anonymous callers do not.
    let token = app.staff_token(Role::DistrictStaff, DISTRICT).await;
    let data = app
        .query_as(
            Some(&token),
            "{ people { totalCount } microWishes { totalCount } }",
            json!({}),
        )
        .await;
    assert!(data["people"]["totalCount"].as_u64() > Some(0));
    assert!(data["microWishes"]["totalCount"].as_u64() > Some(wishes.len() as u64));
}

async fn nodes_are_fetched_again_by_their_global_id(app: TestApp) {
    let data = app
        .query(
            "{ microWishes(first: 2) { nodes { id title } } }",
            json!({}),
        )
        .await;
    let wish = &data["microWishes"]["nodes"][0];
    let again = app
        .query(
            "query($id: ID!) { node(id: $id) { id ... on MicroWish { title } } }",
            json!({ "id": wish["id"] }),
        )
        .await;
    assert_eq!(again["node"], *wish);

    let ids = vec![
        wish["id"].clone(),
        data["microWishes"]["nodes"][1]["id"].clone(),
    ];
    let many = app
        .query(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": ids }),
        )
        .await;
    assert_eq!(many["nodes"].as_array().map(Vec::len), Some(2));

    // A wish that is not public is NOT_FOUND for an anonymous caller, as if it did not exist.
    let token = app.staff_token(Role::DistrictStaff, DISTRICT).await;
    let hidden = app
        .query_as(
            Some(&token),
            "{ microWishes(filter: { status: [SUBMITTED] }, first: 1) { nodes { id } } }",
            json!({}),
        )
        .await;
    let hidden_id = &hidden["microWishes"]["nodes"][0]["id"];
    let (_, errors) = app
        .errors(
            None,
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": hidden_id }),
        )
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND");
    let missing = "TWljcm9XaXNoOjk5OTk5OTk"; // MicroWish:9999999
    let (_, errors) = app
        .errors(
            None,
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": missing }),
        )
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND");

    let (_, errors) = app
        .errors(None, r#"{ node(id: "not-an-id") { id } }"#, json!({}))
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "BAD_USER_INPUT");
}

async fn pages_follow_their_cursors_both_ways(app: TestApp) {
    let query = r#"query($first: Int, $after: String, $last: Int, $before: String) {
        adminUnits(first: $first, after: $after, last: $last, before: $before, orderBy: { field: NAME }) {
            totalCount
            pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
            nodes { id name }
        }
    }"#;
    let all = app.query(query, json!({ "first": 100 })).await;
    let names: Vec<Value> = all["adminUnits"]["nodes"]
        .as_array()
        .expect("units")
        .clone();
    assert!(names.len() > 6);
    let first = app.query(query, json!({ "first": 3 })).await;
    assert_eq!(
        first["adminUnits"]["nodes"].as_array().expect("page"),
        &names[..3]
    );
    assert_eq!(first["adminUnits"]["pageInfo"]["hasNextPage"], true);
    let second = app
        .query(
            query,
            json!({ "first": 3, "after": first["adminUnits"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(
        second["adminUnits"]["nodes"].as_array().expect("page"),
        &names[3..6]
    );
    assert_eq!(second["adminUnits"]["pageInfo"]["hasPreviousPage"], true);
    let back = app
        .query(
            query,
            json!({ "last": 2, "before": second["adminUnits"]["pageInfo"]["startCursor"] }),
        )
        .await;
    assert_eq!(
        back["adminUnits"]["nodes"].as_array().expect("page"),
        &names[1..3]
    );
    assert_eq!(
        back["adminUnits"]["totalCount"],
        all["adminUnits"]["totalCount"]
    );
}

async fn page_sizes_are_capped(app: TestApp) {
    let (status, errors) = app
        .errors(None, "{ adminUnits(first: 101) { totalCount } }", json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(errors[0]["extensions"]["code"], "BAD_USER_INPUT");
    let (_, errors) = app
        .errors(
            None,
            r#"{ adminUnits(after: "garbage") { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "BAD_USER_INPUT");
}

/// "20 wishes, each with its grid, community and claimant organisation": the number of SQL
/// statements does not depend on the page size.
async fn nested_relations_are_batched_whatever_the_page_size(app: TestApp) {
    copy_claimed_wishes(&app, 100).await;
    let token = app.staff_token(Role::DistrictStaff, DISTRICT).await;
    let query = r#"query($first: Int!) {
        microWishes(first: $first, orderBy: { field: ID, direction: DESC }) {
            nodes {
                title
                grid { name parent { name } }
                community { name }
                activeClaim { claimantOrganization { name } }
            }
        }
    }"#;
    let mut counts = Vec::new();
    for first in [5, 100] {
        let before = app.statements();
        let data = app
            .query_as(Some(&token), query, json!({ "first": first }))
            .await;
        counts.push(app.statements() - before);
        let returned = data["microWishes"]["nodes"].as_array().map_or(0, Vec::len);
        assert_eq!(returned, first as usize);
    }
    assert_eq!(
        counts[0], counts[1],
        "statements for 5 and for 100 wishes: {counts:?}"
    );
}

async fn health_and_request_ids(app: TestApp) {
    let response = app
        .client
        .get(format!("{}/health", app.address))
        .send()
        .await
        .expect("health answers");
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-request-id"));
    let page = app
        .client
        .get(format!("{}/graphql", app.address))
        .header("accept", "text/html")
        .send()
        .await
        .expect("GraphiQL answers");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap_or_default().contains("graphiql"));
    let keys: Value = app
        .client
        .get(format!("{}/.well-known/jwks.json", app.address))
        .send()
        .await
        .expect("keys answer")
        .json()
        .await
        .expect("a JWK set");
    assert_eq!(keys["keys"][0]["kty"], "OKP");
    assert_eq!(keys["keys"][0]["crv"], "Ed25519");
}

/// Adds `count` claimed wishes (copies of a claimed demo wish, each with its organisation's
/// claim), so a page of 100 has every relation to load.
async fn copy_claimed_wishes(app: &TestApp, count: usize) {
    use entities::{micro_wish, wish_claim};
    use sea_orm::{ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, EntityTrait, QueryFilter};

    let db = app.db();
    let claim = wish_claim::Entity::find()
        .filter(wish_claim::Column::Status.eq(wish_claim::ClaimStatus::Active))
        .filter(wish_claim::Column::ClaimantOrganizationId.is_not_null())
        .one(db)
        .await
        .expect("query claims")
        .expect("the demo district has a wish claimed by an organisation");
    let wish = micro_wish::Entity::find_by_id(claim.wish_id)
        .one(db)
        .await
        .expect("query wishes")
        .expect("its wish");
    for _ in 0..count {
        let mut copy: micro_wish::ActiveModel = wish.clone().into();
        copy.id = NotSet;
        let copy = copy.insert(db).await.expect("copy the wish");
        let mut copied_claim: wish_claim::ActiveModel = claim.clone().into();
        copied_claim.id = NotSet;
        copied_claim.wish_id = sea_orm::Set(copy.id);
        copied_claim.insert(db).await.expect("copy the claim");
    }
}
