//! The token endpoints: OAuth2 client credentials for partner systems (`POST /oauth/token`,
//! RFC 6749 §4.4) and password sign-in with rotating refresh tokens for the district's own
//! frontends (`POST /auth/login`, `/auth/refresh`, `/auth/logout`). Every answer is JSON, errors
//! as RFC 6749 §5.2 writes them.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, PRAGMA, RETRY_AFTER, WWW_AUTHENTICATE,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::state::{AppState, RETRY_UNAVAILABLE_AFTER, request_id, source_address};
use crate::auth::accounts::{self, AccountError};
use crate::auth::clients::{self, ClientError, Credentials};
use crate::auth::sessions::{self, SessionError};
use crate::auth::{Scope, Subject};
use crate::domain::audit;
use crate::error::ApiError;
use crate::traffic::{Attempts, Credential};

/// The token routes, to merge into the application's router.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/oauth/token", post(token))
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
        .route("/.well-known/oauth-authorization-server", get(metadata))
}

/// The authorization server's metadata (RFC 8414): where the token endpoint is and what it
/// takes. The addresses are the ones the caller reached this server by (its `Host` header, and
/// `X-Forwarded-Proto` behind a proxy that ends TLS).
async fn metadata(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .filter(|value| !value.is_empty())
    };
    let scheme = header("x-forwarded-proto").unwrap_or("http");
    let host = header("host").unwrap_or("localhost");
    let base = format!("{scheme}://{host}");
    let scopes: Vec<&str> = Scope::ALL.iter().map(|scope| scope.as_str()).collect();
    axum::Json(json!({
        "issuer": app.tokens.issuer(),
        "token_endpoint": format!("{base}/oauth/token"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": scopes,
        "response_types_supported": [],
        "service_documentation": format!("{base}/graphql"),
    }))
    .into_response()
}

/// Client credentials: a partner system's client id and secret for an access token.
async fn token(
    State(app): State<AppState>,
    connected: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let is_form = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media_type| {
            media_type
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(OAuthError::invalid_request(
            "send the request as `Content-Type: application/x-www-form-urlencoded`",
        ));
    }
    let mut params = form_params(&body)?;
    let credentials = client_credentials(&headers, &mut params)?;
    match params.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {}
        Some(other) => {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!("the grant type `{other}` is not supported: use `client_credentials`"),
            ));
        }
        None => return Err(OAuthError::invalid_request("`grant_type` is missing")),
    }
    let credentials = credentials.ok_or_else(|| {
        OAuthError::invalid_client(
            "authenticate the client with HTTP Basic (client_secret_basic) or with `client_id` \
             and `client_secret` in the body (client_secret_post)",
        )
    })?;
    let peer = connected.as_ref().map(|Extension(peer)| peer);
    let credential = Credential::Client(&credentials.client_id);
    let requested_scope = params.get("scope").map(String::as_str);
    let exchange = clients::exchange(&app.db, &credentials, requested_scope);
    let wrong = |err: &ClientError| matches!(err, ClientError::InvalidCredentials);
    let subject = guarded(&app, peer, &headers, credential, exchange, wrong).await?;
    let (access_token, claims) = app.tokens.issue(subject, None);
    Ok(no_store(
        StatusCode::OK,
        json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": claims.exp - claims.iat,
            "scope": claims.scope,
        }),
    ))
}

#[derive(Deserialize)]
struct LoginRequest {
    username: String,
    password: String,
}

#[derive(Deserialize)]
struct RefreshRequest {
    refresh_token: String,
}

/// Password sign-in of a staff member or person: an access token and the first refresh token
/// of a new sign-in.
async fn login(
    State(app): State<AppState>,
    connected: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let request: LoginRequest = json_body(&body, r#"{"username": …, "password": …}"#)?;
    let peer = connected.as_ref().map(|Extension(peer)| peer);
    let credential = Credential::Account(&request.username);
    let sign_in = accounts::sign_in(&app.db, &request.username, &request.password);
    let wrong = |err: &AccountError| matches!(err, AccountError::WrongCredentials);
    let account = guarded(&app, peer, &headers, credential, sign_in, wrong).await?;
    let subject = accounts::subject(&app.db, &account).await?;
    let refresh_token = sessions::start(&app.db, account.id, app.refresh_token_ttl).await?;
    Ok(signed_in(&app, subject, refresh_token))
}

/// A refresh token for a new access token and its successor.
async fn refresh(State(app): State<AppState>, body: Bytes) -> Result<Response, OAuthError> {
    let request: RefreshRequest = json_body(&body, r#"{"refresh_token": …}"#)?;
    let (account_id, refresh_token) =
        sessions::rotate(&app.db, &request.refresh_token, app.refresh_token_ttl).await?;
    let Some(account) = accounts::active(&app.db, account_id).await? else {
        // The account was disabled since it signed in: that sign-in ends here.
        sessions::revoke(&app.db, &refresh_token).await?;
        return Err(AccountError::NotActive.into());
    };
    let subject = accounts::subject(&app.db, &account).await?;
    Ok(signed_in(&app, subject, refresh_token))
}

/// Signs out: the refresh token's sign-in ends. Access tokens already handed out run out on
/// their own, soon.
async fn logout(State(app): State<AppState>, body: Bytes) -> Result<StatusCode, OAuthError> {
    let request: RefreshRequest = json_body(&body, r#"{"refresh_token": …}"#)?;
    sessions::revoke(&app.db, &request.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Runs `check` of `credential` (a password or a client secret) within the limits on failed
/// attempts from the request's address: refused with 429 `slow_down` when they are used up;
/// otherwise the attempt is counted before the check, given back if the credential was right,
/// and when it was wrong (`wrong` says which errors mean that) counted in `/metrics`, audited,
/// and answered the later the more failures came before it.
async fn guarded<T, E: Into<OAuthError>>(
    app: &AppState,
    peer: Option<&ConnectInfo<SocketAddr>>,
    headers: &HeaderMap,
    credential: Credential<'_>,
    check: impl Future<Output = Result<T, E>>,
    wrong: impl Fn(&E) -> bool,
) -> Result<T, OAuthError> {
    let address = source_address(&app.trusted_proxies, peer, headers);
    let attempts = Attempts::new(app.buckets.clone(), app.attempt_limits, credential, address);
    let reserved = attempts.reserve().await.map_err(OAuthError::slow_down)?;
    match check.await {
        Err(err) if wrong(&err) => {
            let (kind, tried) = match credential {
                Credential::Account(username) => ("account", username),
                Credential::Client(client_id) => ("api_client", client_id),
            };
            app.metrics.failed_sign_in(kind);
            let recorded =
                audit::failed_sign_in(&app.db, kind, tried, address, request_id(headers)).await;
            if let Err(err) = recorded {
                // The refusal stands; only its record is missing, which the log says.
                tracing::error!(error = %err, "cannot audit a failed sign-in");
            }
            tokio::time::sleep(attempts.failed(reserved)).await;
            Err(err.into())
        }
        checked => {
            attempts.succeeded();
            checked.map_err(Into::into)
        }
    }
}

fn signed_in(app: &AppState, subject: Subject, refresh_token: String) -> Response {
    let (access_token, claims) = app.tokens.issue(subject, None);
    no_store(
        StatusCode::OK,
        json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": claims.exp - claims.iat,
            "refresh_token": refresh_token,
            "refresh_expires_in": app.refresh_token_ttl.as_secs(),
        }),
    )
}

/// A token answer (or an error of the token endpoints), which no cache may keep (RFC 6749 §5.1).
fn no_store(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(CACHE_CONTROL, "no-store"), (PRAGMA, "no-cache")],
        axum::Json(body),
    )
        .into_response()
}

fn json_body<T: DeserializeOwned>(body: &[u8], shape: &str) -> Result<T, OAuthError> {
    serde_json::from_slice(body)
        .map_err(|err| OAuthError::invalid_request(format!("send the JSON object {shape}: {err}")))
}

/// The parameters of a form body. Each may appear once (RFC 6749 §3.2); one without a value
/// counts as absent (§3.1).
fn form_params(body: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    let mut params = HashMap::new();
    for (name, value) in form_urlencoded::parse(body) {
        if value.is_empty() {
            continue;
        }
        if params
            .insert(name.clone().into_owned(), value.into_owned())
            .is_some()
        {
            return Err(OAuthError::invalid_request(format!(
                "`{name}` is given more than once"
            )));
        }
    }
    Ok(params)
}

/// The client's credentials, by at most one method: HTTP Basic (`client_secret_basic`) or
/// `client_id` and `client_secret` in the body (`client_secret_post`).
fn client_credentials(
    headers: &HeaderMap,
    params: &mut HashMap<String, String>,
) -> Result<Option<Credentials>, OAuthError> {
    let basic = headers
        .get(AUTHORIZATION)
        .map(basic_credentials)
        .transpose()?;
    let posted_id = params.remove("client_id");
    let posted_secret = params.remove("client_secret");
    match (basic, posted_id, posted_secret) {
        (Some(_), _, Some(_)) => Err(OAuthError::invalid_request(
            "authenticate the client by one method only: HTTP Basic or `client_secret` in the body",
        )),
        (Some(basic), Some(client_id), None) if client_id != basic.client_id => Err(
            OAuthError::invalid_request("`client_id` differs from the HTTP Basic user name"),
        ),
        (Some(basic), _, None) => Ok(Some(basic)),
        (None, Some(client_id), Some(secret)) => Ok(Some(Credentials { client_id, secret })),
        (None, _, _) => Ok(None),
    }
}

/// `Authorization: Basic base64(client_id ":" secret)`, each part form-urlencoded first as
/// RFC 6749 §2.3.1 asks.
fn basic_credentials(value: &HeaderValue) -> Result<Credentials, OAuthError> {
    let refused = || {
        OAuthError::invalid_client(
            "send `Authorization: Basic` with the base64 of the form-urlencoded client id, a \
             colon and the form-urlencoded secret",
        )
    };
    let (scheme, encoded) = value
        .to_str()
        .ok()
        .and_then(|value| value.trim().split_once(' '))
        .ok_or_else(refused)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(refused());
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(refused)?;
    let (client_id, secret) = decoded.split_once(':').ok_or_else(refused)?;
    Ok(Credentials {
        client_id: form_decode(client_id).ok_or_else(refused)?,
        secret: form_decode(secret).ok_or_else(refused)?,
    })
}

/// One form-urlencoded value: `+` is a space, `%XX` a byte.
fn form_decode(text: &str) -> Option<String> {
    percent_decode_str(&text.replace('+', " "))
        .decode_utf8()
        .ok()
        .map(Cow::into_owned)
}

/// An error answer as RFC 6749 §5.2 writes it.
#[derive(Debug)]
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    /// Whole seconds to wait before trying again, for a 429.
    retry_after: Option<u64>,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
            retry_after: None,
        }
    }

    /// Too many failed attempts for this credential or from this address: 429 with the wait
    /// in `Retry-After`, as OAuth's device flow (RFC 8628 §3.5) names it.
    fn slow_down(wait: Duration) -> Self {
        let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
        Self {
            retry_after: Some(seconds),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "slow_down",
                format!("too many failed attempts: try again in {seconds} s"),
            )
        }
    }

    fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }

    /// A grant (password, refresh token) that does not hold: 400, as RFC 6749 §5.2 says; only
    /// a client that fails to authenticate gets a 401.
    fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    /// A failure inside the server: logged (with the request's id, from its span), never sent.
    fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "token endpoint failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "internal error",
        )
    }
}

impl OAuthError {
    /// A database failure: 503 `temporarily_unavailable` (with `Retry-After`) when the database
    /// could not be reached in time, as for GraphQL requests; a server error otherwise.
    fn database(err: &sea_orm::DbErr) -> Self {
        match ApiError::from_db(err) {
            error @ (ApiError::Unavailable | ApiError::Contended) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                error.to_string(),
            ),
            _ => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "internal error",
            ),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let challenge = self.error == "invalid_client";
        let mut response = no_store(
            self.status,
            json!({ "error": self.error, "error_description": self.description }),
        );
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(RETRY_AFTER, RETRY_UNAVAILABLE_AFTER.clone());
        }
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        // A 401 names the scheme to use (RFC 9110 §15.5.2): for a client, HTTP Basic.
        if challenge {
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Basic realm="gongzhi""#),
            );
        }
        response
    }
}

impl From<ClientError> for OAuthError {
    fn from(err: ClientError) -> Self {
        match err {
            ClientError::InvalidCredentials => Self::invalid_client(err.to_string()),
            ClientError::ScopeNotGranted(_) => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_scope", err.to_string())
            }
            ClientError::Database(err) => Self::database(&err),
            other => Self::internal(other),
        }
    }
}

impl From<AccountError> for OAuthError {
    fn from(err: AccountError) -> Self {
        match err {
            AccountError::WrongCredentials | AccountError::NotActive => {
                Self::invalid_grant(err.to_string())
            }
            AccountError::Database(err) => Self::database(&err),
            other => Self::internal(other),
        }
    }
}

impl From<SessionError> for OAuthError {
    fn from(err: SessionError) -> Self {
        match err {
            SessionError::Invalid | SessionError::Reused => Self::invalid_grant(err.to_string()),
            SessionError::Database(err) => Self::database(&err),
        }
    }
}

impl From<sea_orm::DbErr> for OAuthError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::database(&err)
    }
}
