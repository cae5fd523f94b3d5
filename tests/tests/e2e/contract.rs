//! The public contract holds for every input: answers keep the order asked for, the standard
//! introspection query works under the default limits while abusive queries do not, and client
//! mistakes the spec makes request errors are answered as such (400, a code, no `data`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gongzhi_tests::demo::qiyi_resident;
use gongzhi_tests::{TestApp, e2e};
use serde_json::{Value, json};

e2e!(
    answers_keep_the_order_the_query_asked_for,
    the_standard_introspection_query_works_and_the_schema_is_served,
    depth_limits_still_stop_abusive_queries,
    client_mistakes_are_request_errors,
    a_failed_field_is_null_beside_its_error,
    a_cursor_serves_only_its_own_list_and_ordering,
    text_filters_match_literally,
    lists_and_strings_have_their_stated_limits,
);

/// graphql-js's standard introspection query.
const INTROSPECTION: &str = include_str!("../../fixtures/introspection.graphql");

/// Posts `query` and returns the status and the body as text.
async fn post_text(app: &TestApp, query: &str, variables: Value) -> (u16, String) {
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a body"))
}

/// Asserts that `query` is refused before it runs: HTTP 400, no `data`, and an error with
/// `code` whose message contains `words`.
async fn refused(app: &TestApp, query: &str, variables: Value, code: &str, words: &str) {
    let (status, body) = app.post(None, query, variables).await;
    assert_eq!(status, 400, "{query}: {body}");
    assert!(body.get("data").is_none(), "{query}: {body}");
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], code, "{query}: {body}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|message| message.contains(words)),
        "{query}: {body}"
    );
}

async fn answers_keep_the_order_the_query_asked_for(app: TestApp) {
    let (status, body) = post_text(&app, "{ zz: __typename, aa: __typename }", json!({})).await;
    assert_eq!(status, 200);
    // The data, in the order asked, then what the request cost.
    assert!(
        body.starts_with(r#"{"data":{"zz":"Query","aa":"Query"},"extensions":{"cost":"#),
        "{body}"
    );
    // `totalCount` waits on the database, `nodes` does not: the answer keeps the order asked.
    let (_, body) = post_text(
        &app,
        "{ adminUnits(first: 1) { totalCount nodes { name id } } }",
        json!({}),
    )
    .await;
    let position = |key: &str| body.find(key).unwrap_or_else(|| panic!("{key} in {body}"));
    assert!(position("totalCount") < position("nodes"), "{body}");
    assert!(position("\"name\"") < position("\"id\""), "{body}");
}

async fn the_standard_introspection_query_works_and_the_schema_is_served(app: TestApp) {
    let data = app.query(INTROSPECTION, json!({})).await;
    let types = data["__schema"]["types"].as_array().expect("the types");
    assert!(types.iter().any(|ty| ty["name"] == "MicroWish"));
    assert_eq!(data["__schema"]["queryType"]["name"], "Query");

    let response = app
        .client
        .get(format!("{}/schema.graphql", app.address))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status().as_u16(), 200);
    let sdl = response.text().await.expect("the SDL");
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql"))
            .expect("schema.graphql");
    assert_eq!(sdl, committed);
}

async fn depth_limits_still_stop_abusive_queries(app: TestApp) {
    // Thirteen levels of `parent` on top of `adminUnits` and `nodes`: past the default 12.
    let deep = format!(
        "{{ adminUnits {{ nodes {{ {} id {} }} }} }}",
        "parent {".repeat(13),
        "}".repeat(13)
    );
    refused(
        &app,
        &deep,
        json!({}),
        "QUERY_TOO_COMPLEX",
        "deeper than 12",
    )
    .await;
    let mut nested = String::from("name");
    for _ in 0..30 {
        nested = format!("ofType {{ {nested} }}");
    }
    let introspection = format!("{{ __schema {{ types {{ {nested} }} }} }}");
    refused(
        &app,
        &introspection,
        json!({}),
        "QUERY_TOO_COMPLEX",
        "introspection is nested deeper",
    )
    .await;
    // The parser's work is bounded: a hundred thousand directives are refused unparsed.
    let directives = format!("{{ __typename {} }}", "@include(if: true) ".repeat(100_000));
    refused(
        &app,
        &directives,
        json!({}),
        "QUERY_TOO_COMPLEX",
        "directives",
    )
    .await;
}

async fn client_mistakes_are_request_errors(app: TestApp) {
    refused(
        &app,
        "{ adminUnits(first: 2147483648) { totalCount } }",
        json!({}),
        "BAD_USER_INPUT",
        "not an Int",
    )
    .await;
    refused(
        &app,
        "query($id: ID) { node(id: $id) { id } }",
        json!({}),
        "BAD_USER_INPUT",
        "$id may be null",
    )
    .await;
    refused(
        &app,
        "{ adminUnits(filter: {level: COMMUNITY, level: GRID}, first: 1) { totalCount } }",
        json!({}),
        "BAD_USER_INPUT",
        "`level` is given more than once",
    )
    .await;
    refused(
        &app,
        "{ __typename @include(if: true) @include(if: true) }",
        json!({}),
        "BAD_USER_INPUT",
        "@include may appear once",
    )
    .await;
    refused(
        &app,
        r#"{ adminUnits(first: "abc") { totalCount } }"#,
        json!({}),
        "BAD_USER_INPUT",
        "",
    )
    .await;
}

async fn a_failed_field_is_null_beside_its_error(app: TestApp) {
    let (status, body) = app
        .post(
            None,
            r#"{ a: node(id: "x") { id } b: __typename }"#,
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"], json!({ "a": null, "b": "Query" }), "{body}");
    assert_eq!(body["errors"][0]["path"], json!(["a"]));
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

    let (_, body) = app
        .post(None, r#"{ a: node(id: "x") { id } }"#, json!({}))
        .await;
    assert_eq!(body["data"], json!({ "a": null }), "{body}");

    // `adminUnits` may not be null: its failure makes `data` null, its error says why.
    let (status, body) = app
        .post(
            None,
            "{ b: __typename adminUnits(first: -1) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"], Value::Null, "{body}");
    assert_eq!(body["errors"][0]["path"], json!(["adminUnits"]));
}

/// Asserts that the one field of `query` failed with BAD_USER_INPUT about `argument`.
async fn field_refused(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    variables: Value,
    argument: &str,
) {
    let (status, body) = app.post(token, query, variables).await;
    assert_eq!(status, 200, "{body}");
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body}");
    assert_eq!(error["extensions"]["field"], argument, "{body}");
}

async fn a_cursor_serves_only_its_own_list_and_ordering(app: TestApp) {
    let by_name = app
        .query(
            "{ adminUnits(first: 2, orderBy: {field: NAME}) { pageInfo { endCursor } } }",
            json!({}),
        )
        .await;
    let cursor = by_name["adminUnits"]["pageInfo"]["endCursor"].clone();
    // The same list in its default order, and another list, refuse it.
    for query in [
        "query($c: String) { adminUnits(first: 3, after: $c) { totalCount } }",
        "query($c: String) { organizations(first: 3, after: $c, orderBy: {field: NAME}) { totalCount } }",
    ] {
        field_refused(&app, None, query, json!({ "c": cursor }), "after").await;
    }
    // Its own list and ordering follow it.
    let next = app
        .query(
            "query($c: String) { adminUnits(first: 2, after: $c, orderBy: {field: NAME}) { nodes { id } } }",
            json!({ "c": cursor }),
        )
        .await;
    assert_eq!(
        next["adminUnits"]["nodes"].as_array().map(Vec::len),
        Some(2)
    );
    // A forged cursor with a key of the wrong kind is refused, not compared in the database.
    let forged = URL_SAFE_NO_PAD.encode(r#"{"k":"七一社区","i":1,"l":"adminUnits:Id:Asc"}"#);
    field_refused(
        &app,
        None,
        "query($c: String) { adminUnits(first: 3, before: $c) { totalCount } }",
        json!({ "c": forged }),
        "before",
    )
    .await;
}

async fn text_filters_match_literally(app: TestApp) {
    let count = |data: Value| {
        data["organizations"]["totalCount"]
            .as_u64()
            .expect("a count")
    };
    let query =
        "query($text: String) { organizations(filter: {nameContains: $text}) { totalCount } }";
    let all = count(
        app.query("{ organizations { totalCount } }", json!({}))
            .await,
    );
    assert!(all > 2);
    for wildcard in ["%", "_", "\\", "%社%"] {
        let matched = count(app.query(query, json!({ "text": wildcard })).await);
        assert_eq!(
            matched, 0,
            "{wildcard:?} matched names that do not contain it"
        );
    }
    assert!(count(app.query(query, json!({ "text": "社" })).await) > 0);
}

async fn lists_and_strings_have_their_stated_limits(app: TestApp) {
    // 33,000 statuses would pass SQLite's limit of bound variables; the filter takes 20.
    let statuses: Vec<&str> = std::iter::repeat_n("OPEN", 33_000).collect();
    let (status, body) = app
        .post(
            None,
            "query($s: [WishStatus!]) { microWishes(filter: {status: $s}) { totalCount } }",
            json!({ "s": statuses }),
        )
        .await;
    assert_ne!(status, 500, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );

    // Lengths count characters: 34 Chinese characters are a title of 34, not of 102 bytes.
    let (_, resident) = qiyi_resident(&app).await;
    let submit = "mutation($input: SubmitMicroWishInput!) { submitMicroWish(input: $input) { wish { title } userErrors { code } } }";
    let wish = |title: String| {
        json!({ "input": {
            "title": title,
            "description": "卧室的窗户关不严，冬天漏风。",
            "category": "HOME_REPAIR",
            "estimatedValueCents": 15000,
            "deadline": (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339(),
        } })
    };
    let title = "请帮忙修理卧室的窗户".repeat(3) + "漏风严重";
    assert_eq!(title.chars().count(), 34);
    let data = app
        .query_as(Some(&resident), submit, wish(title.clone()))
        .await;
    assert_eq!(data["submitMicroWish"]["wish"]["title"], title);
    let (status, body) = app
        .post(Some(&resident), submit, wish("窗".repeat(101)))
        .await;
    assert_ne!(status, 500);
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
}
