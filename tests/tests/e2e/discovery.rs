//! What a partner's developer and an operator find without reading code: the OAuth metadata
//! (RFC 8414), the server's version, and cross-origin access for the browser apps of listed
//! origins only.

use gongzhi_tests::{TestApp, e2e};
use serde_json::Value;

e2e!(
    the_token_endpoint_is_discoverable,
    every_answer_names_the_server_version,
    without_listed_origins_browsers_get_no_cross_origin_access,
);
e2e!(
    configured: |config| config.server.cors_origins = vec!["https://app.example.cn".to_owned()];
    browser_apps_of_listed_origins_may_call_the_api,
);

async fn the_token_endpoint_is_discoverable(app: TestApp) {
    let metadata: Value = app
        .client
        .get(format!(
            "{}/.well-known/oauth-authorization-server",
            app.address
        ))
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(metadata["issuer"], "gongzhi");
    assert_eq!(
        metadata["token_endpoint"],
        format!("{}/oauth/token", app.address)
    );
    assert_eq!(
        metadata["jwks_uri"],
        format!("{}/.well-known/jwks.json", app.address)
    );
    assert_eq!(
        metadata["grant_types_supported"],
        serde_json::json!(["client_credentials"])
    );
    assert_eq!(
        metadata["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic", "client_secret_post"])
    );
    let scopes = metadata["scopes_supported"].as_array().expect("scopes");
    assert!(scopes.contains(&Value::from("wishes:write")), "{metadata}");
}

async fn every_answer_names_the_server_version(app: TestApp) {
    let version = env!("CARGO_PKG_VERSION");
    let health = app
        .client
        .get(format!("{}/health", app.address))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(health.headers()["x-gongzhi-version"], version);
    let body: Value = health.json().await.expect("JSON");
    assert_eq!(body["version"], version);
    for path in ["/graphql?query=%7B__typename%7D", "/no-such-page"] {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .expect("the server answers");
        assert_eq!(response.headers()["x-gongzhi-version"], version, "{path}");
    }
}

/// A browser's preflight of a POST to /graphql from `origin`.
async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,authorization",
        )
        .send()
        .await
        .expect("the server answers")
}

async fn browser_apps_of_listed_origins_may_call_the_api(app: TestApp) {
    let allowed = preflight(&app, "https://app.example.cn").await;
    assert!(allowed.status().is_success(), "{}", allowed.status());
    let headers = allowed.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://app.example.cn"
    );
    let allowed_headers = headers["access-control-allow-headers"]
        .to_str()
        .expect("text")
        .to_ascii_lowercase();
    assert!(
        allowed_headers.contains("authorization"),
        "{allowed_headers}"
    );
    assert!(headers.get("access-control-allow-credentials").is_none());

    let other = preflight(&app, "https://evil.example.com").await;
    assert!(other.headers().get("access-control-allow-origin").is_none());

    // The answer itself names the origin, and never a wildcard.
    let answer = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("origin", "https://app.example.cn")
        .json(&serde_json::json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(
        answer.headers()["access-control-allow-origin"],
        "https://app.example.cn"
    );
}

async fn without_listed_origins_browsers_get_no_cross_origin_access(app: TestApp) {
    let response = preflight(&app, "https://app.example.cn").await;
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}
