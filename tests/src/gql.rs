//! GraphQL helpers the tests share, beyond [`TestApp`]'s own requests: a mutation's payload,
//! and the row id behind a global id.

use serde_json::Value;

use crate::TestApp;

/// Runs a mutation (or any operation of one field) with `token` and returns its payload, the
/// value of that one field; fails on any top-level error.
pub async fn mutate(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let data = app.query_as(Some(token), query, variables).await;
    data.as_object()
        .and_then(|fields| fields.values().next())
        .cloned()
        .unwrap_or(Value::Null)
}

/// The row id that a global id (a JSON string, as the API returns it) names.
pub fn decoded(id: &Value) -> i64 {
    gongzhi::graphql::ids::decode(&id.as_str().expect("an id").to_owned().into())
        .expect("a global id")
        .1
}
