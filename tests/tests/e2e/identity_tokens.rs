//! Identity over HTTP: partners' clients exchange credentials for tokens (RFC 6749 §4.4), staff
//! sign in with a password and rotate refresh tokens, revoking a client or suspending an
//! organisation ends its tokens at once, and forged or stale tokens are refused with a reason.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entities::organization::{self, OrganizationStatus};
use entities::{account, api_client};
use gongzhi::auth::clients::{self, ClientError, Credentials, NewClient};
use gongzhi::auth::{Claims, PrincipalKind, Scope};
use gongzhi::seed::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD};
use gongzhi_tests::clients::{issued_token, new_client};
use gongzhi_tests::demo::partner_organization;
use gongzhi_tests::{Role, TestApp, e2e};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::header::HeaderMap;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

e2e!(
    a_new_client_exchanges_its_credentials_for_a_token,
    the_demo_partner_client_works_out_of_the_box,
    token_endpoint_errors_follow_rfc_6749,
    a_revoked_or_suspended_client_is_refused_at_once,
    a_suspended_organisation_is_refused_at_once,
    staff_sign_in_with_a_password,
    refresh_tokens_rotate_and_reuse_revokes_the_family,
    signing_out_ends_the_sign_in,
    of_concurrent_refreshes_of_one_token_one_succeeds,
    a_reuse_revokes_the_successor_issued_at_that_moment,
    forged_and_stale_tokens_are_refused_with_their_reason,
);

/// A query every signed-in caller may run.
const WISHES: &str = "{ microWishes { totalCount } }";

/// An HTTP answer of the token endpoints.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    /// Reads the status, headers and JSON body (null when empty) of `response`.
    async fn from(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("a JSON body, got {text:?}"))
        };
        Self {
            status,
            headers,
            body,
        }
    }

    /// The header `name`, or empty.
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }

    /// Asserts an RFC 6749 §5.2 error.
    fn assert_error(&self, status: u16, error: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.body["error"], error, "{}", self.body);
        assert!(
            self.body["error_description"].is_string(),
            "errors are described: {}",
            self.body
        );
        assert_eq!(self.header("cache-control"), "no-store");
    }

    /// The token in `field` of a successful answer.
    fn token(&self, field: &str) -> String {
        assert_eq!(self.status, 200, "{}", self.body);
        self.body[field]
            .as_str()
            .unwrap_or_else(|| panic!("`{field}` in {}", self.body))
            .to_owned()
    }
}

/// POSTs a form to `/oauth/token`, with HTTP Basic credentials when given.
async fn token_request(
    app: &TestApp,
    basic: Option<&Credentials>,
    form: &[(&str, &str)],
) -> Answer {
    let mut request = app
        .client
        .post(format!("{}/oauth/token", app.address))
        .form(form);
    if let Some(credentials) = basic {
        request = request.basic_auth(&credentials.client_id, Some(&credentials.secret));
    }
    Answer::from(request.send().await.expect("the server answers")).await
}

/// POSTs JSON to one of the `/auth/…` endpoints.
async fn auth_request(app: &TestApp, path: &str, body: Value) -> Answer {
    let response = app
        .client
        .post(format!("{}/auth/{path}", app.address))
        .json(&body)
        .send()
        .await
        .expect("the server answers");
    Answer::from(response).await
}

/// Signs in with a username and password at `/auth/login`.
async fn login(app: &TestApp, username: &str, password: &str) -> Answer {
    auth_request(
        app,
        "login",
        json!({ "username": username, "password": password }),
    )
    .await
}

/// Exchanges a refresh token at `/auth/refresh`.
async fn refresh(app: &TestApp, refresh_token: &str) -> Answer {
    auth_request(app, "refresh", json!({ "refresh_token": refresh_token })).await
}

/// Asserts that `/graphql` refuses `token`: HTTP 401 with a Bearer challenge, UNAUTHENTICATED
/// and `reason`.
async fn assert_refused(app: &TestApp, token: &str, reason: &str) {
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(token)
        .json(&json!({ "query": WISHES }))
        .send()
        .await
        .expect("the server answers");
    let answer = Answer::from(response).await;
    assert_eq!(answer.status, 401, "{reason}: {}", answer.body);
    assert!(
        answer.header("www-authenticate").starts_with("Bearer "),
        "{reason}: a challenge, got {:?}",
        answer.headers
    );
    let extensions = &answer.body["errors"][0]["extensions"];
    assert_eq!(extensions["code"], "UNAUTHENTICATED", "{}", answer.body);
    assert_eq!(extensions["reason"], reason, "{}", answer.body);
}

async fn a_new_client_exchanges_its_credentials_for_a_token(app: TestApp) {
    let credentials = new_client(&app, "wishes:read volunteering:read").await;
    assert!(credentials.client_id.starts_with("gz_"));
    let stored = api_client::Entity::find()
        .filter(api_client::Column::ClientId.eq(credentials.client_id.as_str()))
        .one(app.db())
        .await
        .expect("query clients")
        .expect("the client is stored");
    assert!(stored.secret_hash.starts_with("$argon2id$"));
    assert!(!stored.secret_hash.contains(&credentials.secret));

    // client_secret_basic, all of the client's scopes.
    let answer = token_request(
        &app,
        Some(&credentials),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["token_type"], "Bearer");
    assert_eq!(answer.body["expires_in"], 900);
    assert_eq!(answer.body["scope"], "wishes:read volunteering:read");
    assert_eq!(answer.header("cache-control"), "no-store");
    assert_eq!(answer.header("pragma"), "no-cache");
    let data = app
        .query_as(Some(&answer.token("access_token")), WISHES, json!({}))
        .await;
    assert!(data["microWishes"]["totalCount"].as_u64() > Some(0));

    // client_secret_post, with a narrower scope.
    let answer = token_request(
        &app,
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &credentials.client_id),
            ("client_secret", &credentials.secret),
            ("scope", "wishes:read"),
        ],
    )
    .await;
    assert_eq!(answer.body["scope"], "wishes:read", "{}", answer.body);
    app.query_as(Some(&answer.token("access_token")), WISHES, json!({}))
        .await;

    let unknown_scope = clients::create(
        app.db(),
        NewClient {
            organization_id: stored.organization_id,
            name: "typo".to_owned(),
            scopes: "wishes:raed".to_owned(),
            trusted_documents_only: false,
        },
    )
    .await;
    assert!(
        matches!(unknown_scope, Err(ClientError::UnknownScope(ref scope)) if scope == "wishes:raed")
    );
}

async fn the_demo_partner_client_works_out_of_the_box(app: TestApp) {
    let demo = Credentials {
        client_id: DEMO_CLIENT_ID.to_owned(),
        secret: DEMO_CLIENT_SECRET.to_owned(),
    };
    let token = issued_token(&app, &demo).await;
    app.query_as(Some(&token), WISHES, json!({})).await;
}

async fn token_endpoint_errors_follow_rfc_6749(app: TestApp) {
    let credentials = new_client(&app, "wishes:read").await;
    let grant = ("grant_type", "client_credentials");
    let wrong = Credentials {
        secret: "not-the-secret".to_owned(),
        ..credentials.clone()
    };

    let answer = token_request(&app, Some(&wrong), &[grant]).await;
    answer.assert_error(401, "invalid_client");
    assert_eq!(
        answer.header("www-authenticate"),
        r#"Basic realm="gongzhi""#
    );

    let posted_wrong = [
        grant,
        ("client_id", &wrong.client_id),
        ("client_secret", &wrong.secret),
    ];
    token_request(&app, None, &posted_wrong)
        .await
        .assert_error(401, "invalid_client");
    let unknown = Credentials {
        client_id: "gz_nobody".to_owned(),
        secret: "anything".to_owned(),
    };
    token_request(&app, Some(&unknown), &[grant])
        .await
        .assert_error(401, "invalid_client");
    token_request(&app, None, &[grant])
        .await
        .assert_error(401, "invalid_client");

    token_request(&app, Some(&credentials), &[("grant_type", "password")])
        .await
        .assert_error(400, "unsupported_grant_type");
    token_request(&app, Some(&credentials), &[grant, ("scope", "people:read")])
        .await
        .assert_error(400, "invalid_scope");
    token_request(
        &app,
        Some(&credentials),
        &[grant, ("client_secret", &credentials.secret)],
    )
    .await
    .assert_error(400, "invalid_request");
    token_request(&app, Some(&credentials), &[("scope", "wishes:read")])
        .await
        .assert_error(400, "invalid_request");
    token_request(&app, Some(&credentials), &[grant, grant])
        .await
        .assert_error(400, "invalid_request");

    // A body that is not a form gets the same JSON error, never a plain-text rejection.
    let response = app
        .client
        .post(format!("{}/oauth/token", app.address))
        .basic_auth(&credentials.client_id, Some(&credentials.secret))
        .json(&json!({ "grant_type": "client_credentials" }))
        .send()
        .await
        .expect("the server answers");
    Answer::from(response)
        .await
        .assert_error(400, "invalid_request");
}

async fn a_revoked_or_suspended_client_is_refused_at_once(app: TestApp) {
    let credentials = new_client(&app, "wishes:read").await;
    let token = issued_token(&app, &credentials).await;
    app.query_as(Some(&token), WISHES, json!({})).await;

    clients::set_status(
        app.db(),
        &credentials.client_id,
        api_client::ApiClientStatus::Suspended,
    )
    .await
    .expect("suspend the client");
    assert_refused(&app, &token, "TOKEN_REVOKED").await;
    token_request(
        &app,
        Some(&credentials),
        &[("grant_type", "client_credentials")],
    )
    .await
    .assert_error(401, "invalid_client");

    clients::set_status(
        app.db(),
        &credentials.client_id,
        api_client::ApiClientStatus::Active,
    )
    .await
    .expect("activate the client again");
    app.query_as(Some(&token), WISHES, json!({})).await;

    clients::set_status(
        app.db(),
        &credentials.client_id,
        api_client::ApiClientStatus::Revoked,
    )
    .await
    .expect("revoke the client");
    assert_refused(&app, &token, "TOKEN_REVOKED").await;
    let reactivated = clients::set_status(
        app.db(),
        &credentials.client_id,
        api_client::ApiClientStatus::Active,
    )
    .await;
    assert!(
        matches!(reactivated, Err(ClientError::Revoked(_))),
        "revoking is final: {reactivated:?}"
    );
}

async fn a_suspended_organisation_is_refused_at_once(app: TestApp) {
    let credentials = new_client(&app, "wishes:read").await;
    let client = issued_token(&app, &credentials).await;
    // `ngo.admin` administers the same organisation.
    let staff = login(&app, "ngo.admin", DEMO_PASSWORD)
        .await
        .token("access_token");
    // Development tokens (`gongzhi token --org`) for the organisation, as its client and as
    // its administrator.
    let partner = partner_organization(&app).await;
    let development = [
        app.client_token(partner.id, &[Scope::WishesRead]),
        app.org_admin_token(Role::OrgAdmin, partner.id),
    ];
    for token in [&client, &staff].into_iter().chain(&development) {
        app.query_as(Some(token), WISHES, json!({})).await;
    }

    let mut organization: organization::ActiveModel = partner.into();
    organization.status = Set(OrganizationStatus::Suspended);
    organization
        .update(app.db())
        .await
        .expect("suspend the organisation");

    for token in [&client, &staff].into_iter().chain(&development) {
        assert_refused(&app, token, "TOKEN_REVOKED").await;
    }
    token_request(
        &app,
        Some(&credentials),
        &[("grant_type", "client_credentials")],
    )
    .await
    .assert_error(401, "invalid_client");
}

async fn staff_sign_in_with_a_password(app: TestApp) {
    let answer = login(&app, "qiyi.staff", DEMO_PASSWORD).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["token_type"], "Bearer");
    assert_eq!(answer.body["expires_in"], 900);
    assert_eq!(answer.body["refresh_expires_in"], 14 * 24 * 3600);
    assert_eq!(answer.header("cache-control"), "no-store");
    let token = answer.token("access_token");
    let claims = app.state.tokens.verify(&token).expect("a valid token");
    assert_eq!(claims.kind, PrincipalKind::Staff);
    assert!(claims.sub.starts_with("account:"));
    assert!(
        claims.grants.iter().all(|grant| grant.unit.is_some()),
        "the community staff's grant names its unit: {claims:?}"
    );
    // Community staff see the people of their community.
    let data = app
        .query_as(Some(&token), "{ people { totalCount } }", json!({}))
        .await;
    assert!(data["people"]["totalCount"].as_u64() > Some(0));

    let wrong_password = login(&app, "qiyi.staff", "not-the-password").await;
    wrong_password.assert_error(400, "invalid_grant");
    assert_eq!(
        wrong_password.body["error_description"],
        "wrong username or password"
    );
    let unknown_user = login(&app, "nobody", DEMO_PASSWORD).await;
    assert_eq!(unknown_user.body, wrong_password.body);
    auth_request(&app, "login", json!({ "username": "qiyi.staff" }))
        .await
        .assert_error(400, "invalid_request");

    // A disabled account's tokens stop working at once, and it cannot refresh.
    let mut account: account::ActiveModel = account::Entity::find()
        .filter(account::Column::Username.eq("qiyi.staff"))
        .one(app.db())
        .await
        .expect("query accounts")
        .expect("the demo account")
        .into();
    account.status = Set(account::AccountStatus::Disabled);
    account.update(app.db()).await.expect("disable the account");
    assert_refused(&app, &token, "TOKEN_REVOKED").await;
    refresh(&app, &answer.token("refresh_token"))
        .await
        .assert_error(400, "invalid_grant");
    login(&app, "qiyi.staff", DEMO_PASSWORD)
        .await
        .assert_error(400, "invalid_grant");
}

async fn refresh_tokens_rotate_and_reuse_revokes_the_family(app: TestApp) {
    let first = login(&app, "district.admin", DEMO_PASSWORD)
        .await
        .token("refresh_token");
    let answer = refresh(&app, &first).await;
    let second = answer.token("refresh_token");
    assert_ne!(second, first);
    app.query_as(Some(&answer.token("access_token")), WISHES, json!({}))
        .await;

    // The first token again: someone else holds it, so the whole sign-in ends.
    refresh(&app, &first)
        .await
        .assert_error(400, "invalid_grant");
    refresh(&app, &second)
        .await
        .assert_error(400, "invalid_grant");

    // Another sign-in of the same account is not affected.
    let other = login(&app, "district.admin", DEMO_PASSWORD)
        .await
        .token("refresh_token");
    refresh(&app, &other).await.token("refresh_token");
}

async fn signing_out_ends_the_sign_in(app: TestApp) {
    let first = login(&app, "qiyi.grid1", DEMO_PASSWORD)
        .await
        .token("refresh_token");
    let second = refresh(&app, &first).await.token("refresh_token");
    let answer = auth_request(&app, "logout", json!({ "refresh_token": second })).await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    refresh(&app, &second)
        .await
        .assert_error(400, "invalid_grant");
    // Signing out with an unknown token says nothing about it.
    let answer = auth_request(&app, "logout", json!({ "refresh_token": "unknown" })).await;
    assert_eq!(answer.status, 204);
}

async fn of_concurrent_refreshes_of_one_token_one_succeeds(app: TestApp) {
    let token = login(&app, "xidajie.staff", DEMO_PASSWORD)
        .await
        .token("refresh_token");
    let answers = futures::future::join_all((0..10).map(|_| refresh(&app, &token))).await;
    let succeeded = answers.iter().filter(|answer| answer.status == 200).count();
    assert_eq!(succeeded, 1, "exactly one refresh succeeds");
    for answer in answers.iter().filter(|answer| answer.status != 200) {
        answer.assert_error(400, "invalid_grant");
    }
}

async fn forged_and_stale_tokens_are_refused_with_their_reason(app: TestApp) {
    let now = i64::try_from(jsonwebtoken::get_current_timestamp()).expect("a timestamp");
    let valid = Claims {
        iss: app.config.tokens.issuer.clone(),
        aud: app.config.tokens.audience.clone(),
        sub: "test:forged".to_owned(),
        exp: now + 600,
        iat: now,
        nbf: now,
        jti: "forged".to_owned(),
        kind: PrincipalKind::Staff,
        org: None,
        person: None,
        grants: Vec::new(),
        scope: String::new(),
    };
    let (kid, key) = app.state.tokens.keys().signing();
    let signed = |claims: &Claims, kid: &str| {
        let header = Header {
            kid: Some(kid.to_owned()),
            ..Header::new(Algorithm::EdDSA)
        };
        jsonwebtoken::encode(&header, claims, key).expect("sign the claims")
    };
    // The claims as built are accepted, so each refusal below is for its one change.
    app.query_as(Some(&signed(&valid, kid)), WISHES, json!({}))
        .await;

    let expired = Claims {
        exp: now - 3600,
        iat: now - 7200,
        nbf: now - 7200,
        ..valid.clone()
    };
    assert_refused(&app, &signed(&expired, kid), "TOKEN_EXPIRED").await;
    let early = Claims {
        nbf: now + 3600,
        exp: now + 7200,
        ..valid.clone()
    };
    assert_refused(&app, &signed(&early, kid), "TOKEN_NOT_YET_VALID").await;
    let elsewhere = Claims {
        aud: "another-api".to_owned(),
        ..valid.clone()
    };
    assert_refused(&app, &signed(&elsewhere, kid), "TOKEN_AUDIENCE").await;
    let impostor = Claims {
        iss: "someone-else".to_owned(),
        ..valid.clone()
    };
    assert_refused(&app, &signed(&impostor, kid), "TOKEN_ISSUER").await;
    assert_refused(&app, &signed(&valid, "retired-key"), "TOKEN_UNKNOWN_KEY").await;

    // The payload of a genuine token, raised to district staff: the signature no longer fits.
    let genuine = signed(&valid, kid);
    let mut parts: Vec<String> = genuine.split('.').map(str::to_owned).collect();
    let mut payload: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(&parts[1])
            .expect("a base64url payload"),
    )
    .expect("a JSON payload");
    payload["grants"] = json!([{ "role": "district_staff", "unit": { "id": 1, "path": "/1/" } }]);
    parts[1] = URL_SAFE_NO_PAD.encode(payload.to_string());
    assert_refused(&app, &parts.join("."), "TOKEN_SIGNATURE").await;

    // `alg: none`, without a signature.
    let header =
        URL_SAFE_NO_PAD.encode(json!({ "alg": "none", "typ": "JWT", "kid": kid }).to_string());
    let claims = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&valid).expect("claims as JSON"));
    assert_refused(&app, &format!("{header}.{claims}."), "TOKEN_ALGORITHM").await;

    // Key confusion: HS256 with the server's public key (as published) as the HMAC secret.
    let jwks: Value = app
        .client
        .get(format!("{}/.well-known/jwks.json", app.address))
        .send()
        .await
        .expect("the keys answer")
        .json()
        .await
        .expect("a JWK set");
    let public_key = URL_SAFE_NO_PAD
        .decode(jwks["keys"][0]["x"].as_str().expect("the key's `x`"))
        .expect("a base64url key");
    let confused = jsonwebtoken::encode(
        &Header {
            kid: Some(kid.to_owned()),
            ..Header::new(Algorithm::HS256)
        },
        &valid,
        &EncodingKey::from_secret(&public_key),
    )
    .expect("sign with HMAC");
    assert_refused(&app, &confused, "TOKEN_ALGORITHM").await;

    assert_refused(&app, "not-a-token", "TOKEN_MALFORMED").await;
}

/// A stolen refresh token is replayed on one instance at the moment its legitimate successor is
/// exchanged on another: whichever comes first, the sign-in ends — no token issued in the race
/// outlives the reuse.
async fn a_reuse_revokes_the_successor_issued_at_that_moment(app: TestApp) {
    let other = app.another_instance().await;
    for _ in 0..8 {
        let first = login(&app, "qiyi.staff", DEMO_PASSWORD)
            .await
            .token("refresh_token");
        let second = refresh(&app, &first).await.token("refresh_token");
        let (replayed, exchanged) = futures::join!(refresh(&other, &first), refresh(&app, &second));
        replayed.assert_error(400, "invalid_grant");
        if exchanged.status == 200 {
            refresh(&app, &exchanged.token("refresh_token"))
                .await
                .assert_error(400, "invalid_grant");
        } else {
            exchanged.assert_error(400, "invalid_grant");
        }
    }
}
