//! Partners' API clients as a partner gets them: created as `gongzhi client create` does, and
//! exchanged for a real token at `/oauth/token`.

use gongzhi::auth::clients::{self, Credentials, NewClient};
use serde_json::Value;

use crate::TestApp;
use crate::demo::partner_organization;

/// A new client of the partner organisation, with `scopes` (space-separated).
pub async fn new_client(app: &TestApp, scopes: &str) -> Credentials {
    create(app, scopes, false).await
}

/// A new client of the partner organisation for a third-party app, as `gongzhi client create
/// --app` makes it: it runs trusted documents only.
pub async fn new_app_client(app: &TestApp, scopes: &str) -> Credentials {
    create(app, scopes, true).await
}

async fn create(app: &TestApp, scopes: &str, trusted_documents_only: bool) -> Credentials {
    let organization = partner_organization(app).await;
    clients::create(
        app.db(),
        NewClient {
            organization_id: organization.id,
            name: "test partner".to_owned(),
            scopes: scopes.to_owned(),
            trusted_documents_only,
        },
    )
    .await
    .expect("the client is created")
}

/// An access token for `credentials`, from `/oauth/token` by `client_secret_basic`.
pub async fn issued_token(app: &TestApp, credentials: &Credentials) -> String {
    let response = app
        .client
        .post(format!("{}/oauth/token", app.address))
        .basic_auth(&credentials.client_id, Some(&credentials.secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status(), 200, "a token for the client");
    let body: Value = response.json().await.expect("a JSON body");
    body["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}
