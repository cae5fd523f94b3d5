//! The public contract holds for every input: answers keep the order asked for, the standard
//! introspection query works under the default limits while abusive queries do not, and client
//! mistakes the spec makes request errors are answered as such (400, a code, no `data`).

use gongzhi_tests::{TestApp, e2e};
use serde_json::{Value, json};

e2e!(
    answers_keep_the_order_the_query_asked_for,
    the_standard_introspection_query_works_and_the_schema_is_served,
    depth_limits_still_stop_abusive_queries,
    client_mistakes_are_request_errors,
    a_failed_field_is_null_beside_its_error,
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
    assert_eq!(body, r#"{"data":{"zz":"Query","aa":"Query"}}"#);
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
