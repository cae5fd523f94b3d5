//! GraphQL over HTTP (GET and POST, with the media types the spec names), and GraphiQL for
//! browsers: a request is checked, its caller authenticated, executed with a context of its own,
//! and answered with a code on every error.

use async_graphql::ServerError;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::header::{
    ACCEPT, ALLOW, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing;
use axum::{Extension, RequestExt, Router};
use sea_orm::DbErr;
use serde::Deserialize;
use serde_json::{Value, json};

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use chrono::Utc;

use super::documents::{self, Unresolved};
use super::graphiql;
use super::metrics;
use super::state::{AppState, RETRY_UNAVAILABLE_AFTER, request_id, source_address};
use super::throttle::{self, Meter};
use crate::auth::{self, AuthError, TokenError};
use crate::domain::audit::{Actor, PersonalDataReads};
use crate::domain::trusted_documents::DocumentId;
use crate::error::{ApiError, ErrorCode};
use crate::graphql::RateLimit;
use crate::graphql::RequestContext;
use crate::traffic::{Decision, Standing};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

/// The largest request body `/graphql` reads.
pub(super) const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// `/graphql`: queries by GET or POST, mutations by POST; GraphiQL for a browser's GET.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/graphql",
            routing::get(get)
                .post(post)
                .layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
        )
        .route("/schema.graphql", routing::get(schema))
}

/// `GET /schema.graphql`: the schema's SDL, as `schema.graphql` in the repository holds it, for
/// code generators and schema checkers.
async fn schema(State(app): State<AppState>) -> Response {
    (
        [(CONTENT_TYPE, "application/graphql; charset=utf-8")],
        app.sdl.to_string(),
    )
        .into_response()
}

/// The GraphQL request parameters, from a query string or a JSON body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetParams {
    query: Option<String>,
    document_id: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

async fn get(
    State(app): State<AppState>,
    params: Result<Query<GetParams>, QueryRejection>,
    connected: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
) -> Response {
    let params = match params {
        Ok(Query(params)) => params,
        // A parameter given twice, say: answered like every other refusal, with a code.
        Err(rejection) => {
            return request_error(&headers, StatusCode::BAD_REQUEST, &rejection.body_text());
        }
    };
    let peer = connected.as_ref().map(|Extension(peer)| peer);
    let address = source_address(&app.trusted_proxies, peer, &headers);
    if params.query.is_none()
        && params.document_id.is_none()
        && params.extensions.is_none()
        && accepts_html(&headers)
    {
        return graphiql::page().into_response();
    }
    let json_object = |name: &str, text: Option<String>| -> Result<Option<Value>, String> {
        text.map(|text| {
            serde_json::from_str::<Value>(&text)
                .ok()
                .filter(Value::is_object)
                .ok_or_else(|| format!("`{name}` must be a JSON object"))
        })
        .transpose()
    };
    let request = json_object("variables", params.variables).and_then(|variables| {
        let extensions = json_object("extensions", params.extensions)?;
        GraphqlParams::new(
            params.query,
            params.document_id.map(Value::String),
            params.operation_name,
            variables,
            extensions,
        )
    });
    match request {
        // GET must never change anything (it may be cached or prefetched): mutations go by POST.
        Ok(request) => execute(app, headers, address, request, Method::Get).await,
        Err(message) => request_error(&headers, StatusCode::BAD_REQUEST, &message),
    }
}

/// Whether reading the body failed because its deadline passed (see `router`).
fn timed_out(rejection: &BytesRejection) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(rejection);
    while let Some(error) = cause {
        if error.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = error.source();
    }
    false
}

async fn post(State(app): State<AppState>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let headers = std::mem::take(&mut parts.headers);
    let address = source_address(&app.trusted_proxies, parts.extensions.get(), &headers);
    let too_large = || {
        request_error(
            &headers,
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the body is larger than {MAX_BODY_BYTES} bytes"),
        )
    };
    // A declared length over the limit is refused before a byte of the body is read, so a
    // client that waits for `100 Continue` (curl does, for large bodies) never sends it.
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return too_large();
    }
    let body = match Request::from_parts(parts, body).extract::<Bytes, _>().await {
        Ok(body) => body,
        // Too large after all (a body without a length), too slow, or cut off: answered like
        // every other refusal, with a code.
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return too_large();
        }
        Err(rejection) if timed_out(&rejection) => {
            return request_error(
                &headers,
                StatusCode::REQUEST_TIMEOUT,
                "the body did not arrive in time; send it whole, without pauses",
            );
        }
        Err(rejection) => {
            return request_error(&headers, rejection.status(), "the body could not be read");
        }
    };
    let is_json = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media_type| media_type.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return request_error(
            &headers,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the request as `Content-Type: application/json`",
        );
    }
    match GraphqlParams::from_body(&body) {
        Ok(request) => execute(app, headers, address, request, Method::Post).await,
        Err(message) => request_error(&headers, StatusCode::BAD_REQUEST, &message),
    }
}

/// How a request came: a GET may only read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
}

/// A GraphQL-over-HTTP request, checked.
struct GraphqlParams {
    /// The document's text, or
    query: Option<String>,
    /// its id: `documentId`, or Apollo's `extensions.persistedQuery.sha256Hash`; with both,
    /// the id must be the text's.
    document_id: Option<DocumentId>,
    operation_name: Option<String>,
    variables: Option<Value>,
    extensions: Option<Value>,
}

impl GraphqlParams {
    fn from_body(body: &[u8]) -> Result<Self, String> {
        // serde_json says what is wrong and where: "… at line 1 column 20".
        let body = serde_json::from_slice::<Value>(body)
            .map_err(|err| format!("the body is not valid JSON: {err}"))?;
        let Value::Object(mut body) = body else {
            return Err("the body must be a JSON object".to_owned());
        };
        let query = match body.remove("query") {
            None | Some(Value::Null) => None,
            Some(Value::String(query)) => Some(query),
            Some(_) => return Err("`query` must be a string".to_owned()),
        };
        let operation_name = match body.remove("operationName") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(name),
            Some(_) => return Err("`operationName` must be a string".to_owned()),
        };
        let object = |name: &str, value: Option<Value>| match value {
            None | Some(Value::Null) => Ok(None),
            Some(value @ Value::Object(_)) => Ok(Some(value)),
            Some(_) => Err(format!("`{name}` must be an object")),
        };
        let variables = object("variables", body.remove("variables"))?;
        let extensions = object("extensions", body.remove("extensions"))?;
        Self::new(
            query,
            body.remove("documentId"),
            operation_name,
            variables,
            extensions,
        )
    }

    /// The request, once its document is named one way or another: by its text, by its id
    /// (`documentId: "sha256:…"`), or by Apollo's persisted-query extension
    /// (`{"persistedQuery": {"version": 1, "sha256Hash": "…"}}`).
    fn new(
        query: Option<String>,
        document_id: Option<Value>,
        operation_name: Option<String>,
        variables: Option<Value>,
        extensions: Option<Value>,
    ) -> Result<Self, String> {
        let document_id = match document_id {
            None | Some(Value::Null) => None,
            Some(Value::String(id)) => Some(DocumentId::parse(&id).ok_or(
                "`documentId` must be `sha256:` and the 64 hex digits of the document's SHA-256",
            )?),
            Some(_) => return Err("`documentId` must be a string".to_owned()),
        };
        let persisted = match extensions.as_ref().and_then(|e| e.get("persistedQuery")) {
            None | Some(Value::Null) => None,
            Some(persisted) => {
                if persisted.get("version") != Some(&json!(1)) {
                    return Err(
                        "`persistedQuery` must be an object of `version` 1 with the document's \
                         `sha256Hash`"
                            .to_owned(),
                    );
                }
                let hash = persisted.get("sha256Hash").and_then(Value::as_str);
                Some(hash.and_then(DocumentId::from_hex).ok_or(
                    "`persistedQuery.sha256Hash` must be the 64 hex digits of the document's SHA-256",
                )?)
            }
        };
        let document_id = match (document_id, persisted) {
            (Some(id), Some(hash)) if id != hash => {
                return Err("`documentId` and `persistedQuery` name different documents".to_owned());
            }
            (id, hash) => id.or(hash),
        };
        if query.is_none() && document_id.is_none() {
            return Err(
                "send the document as `query`, or its id as `documentId` (or Apollo's \
                 `extensions.persistedQuery`)"
                    .to_owned(),
            );
        }
        Ok(Self {
            query,
            document_id,
            operation_name,
            variables,
            extensions,
        })
    }
}

async fn execute(
    app: AppState,
    headers: HeaderMap,
    address: IpAddr,
    params: GraphqlParams,
    method: Method,
) -> Response {
    let Some(media_type) = negotiate(&headers) else {
        return (
            StatusCode::NOT_ACCEPTABLE,
            [(CONTENT_TYPE, JSON)],
            error_body(
                "accept `application/graphql-response+json` or `application/json`",
                ErrorCode::BadUserInput,
            ),
        )
            .into_response();
    };
    let authorization = headers.get(AUTHORIZATION);
    let caller = match auth::authenticate(&app.tokens, &app.db, authorization).await {
        Ok(caller) => caller,
        Err(AuthError::Refused(err)) => return token_refused(media_type, err),
        Err(AuthError::Database(err)) => {
            return database_failure(media_type, &err, request_id(&headers));
        }
    };
    let counted_as = metrics::caller_label(&caller.principal);
    let meter = app.budget_policy.map(|policy| {
        let (bucket, limits) = policy.bucket_of(&caller.principal, caller.client.as_ref(), address);
        Meter::new(Arc::clone(&app.buckets), bucket, limits)
    });
    let principal = caller.principal;
    let actor = Actor::from(&principal);
    let personal_data_reads = PersonalDataReads::default();
    let (context, batches) = RequestContext::new(
        app.db.clone(),
        app.connections_per_request,
        principal,
        personal_data_reads.clone(),
        app.figures.clone(),
    );
    let request_id = request_id(&headers);
    // Refused before it ran: nothing is spent, and the answer still says where the caller stands.
    let unrun = async |refusal: ServerError| {
        let response = async_graphql::Response::from_errors(vec![refusal]);
        let standing = match &meter {
            Some(meter) => Some(meter.standing().await),
            None => None,
        };
        metered(
            media_type,
            response,
            request_id,
            standing.map(|standing| (0, 0, standing)),
        )
    };
    let document = documents::resolve(
        &app,
        caller.client.as_ref(),
        params.query,
        params.document_id,
    )
    .await;
    let prepared = match document {
        Ok(prepared) => prepared,
        Err(Unresolved::Refused(refusal)) => return unrun(refusal).await,
        Err(Unresolved::Database(err)) => return database_failure(media_type, &err, request_id),
    };
    let operation = params.operation_name.clone();
    if method == Method::Get && prepared.has_mutation(operation.as_deref()) {
        // GET must never change anything (it may be cached or prefetched).
        let mut response = request_error(
            &headers,
            StatusCode::METHOD_NOT_ALLOWED,
            "mutations must be sent with POST",
        );
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let mut request = prepared.request().data(context);
    request.operation_name = params.operation_name;
    if let Some(variables) = params.variables {
        request.variables = async_graphql::Variables::from_json(variables);
    }
    if let Some(Value::Object(extensions)) = params.extensions {
        request.extensions = async_graphql::Extensions(
            extensions
                .into_iter()
                .filter_map(|(key, value)| {
                    Some((key, async_graphql::Value::from_json(value).ok()?))
                })
                .collect(),
        );
    }
    let checked = match app.checks.check(prepared, &request) {
        Ok(checked) => checked,
        Err(refusal) => return unrun(refusal).await,
    };
    let requested = checked.cost();
    let charged = match &meter {
        None => None,
        Some(meter) => match meter.charge(requested).await {
            Decision::Granted(standing) => Some(standing),
            Decision::Refused(standing) => {
                if let Some(refusal) = throttle::beyond_capacity(requested, standing) {
                    let response = async_graphql::Response::from_errors(vec![refusal]);
                    let cost = Some((requested, 0, standing));
                    return metered(media_type, response, request_id, cost);
                }
                app.metrics.throttled(&counted_as);
                return throttle::throttled(media_type, requested, standing);
            }
        },
    };
    let request = request.data(charged.map(|standing| RateLimit {
        cost: requested,
        standing,
        at: Utc::now(),
    }));
    // The request runs to its end even if its client hangs up: dropped halfway, it could leave
    // a pooled connection inside a transaction (sqlx 0.9 does not roll back a `BEGIN` whose
    // answer it was still waiting for), or a change done and its audit record not.
    let (schema, db) = (app.schema.clone(), app.db.clone());
    let audit = (actor, operation, request_id.to_owned());
    let running = tokio::spawn(async move {
        let response = batches.drive(schema.execute(request)).await;
        let (actor, operation, request_id) = audit;
        let audited = personal_data_reads
            .write(&db, &actor, operation.as_deref(), &request_id)
            .await;
        (response, audited)
    });
    let (mut response, audited) = match running.await {
        Ok(finished) => finished,
        Err(failure) => {
            tracing::error!(error = %failure, "a request failed inside the server");
            return internal_failure(media_type, request_id);
        }
    };
    // Personal data goes out only with its audit record.
    if let Err(err) = audited {
        tracing::error!("cannot audit personal data reads");
        return database_failure(media_type, &err, request_id);
    }
    app.checks.complete(&checked, &mut response);
    app.metrics
        .graphql_request(&counted_as, checked.operation_name());
    let cost = match (meter, charged) {
        (Some(meter), Some(charged)) => {
            let actual = app.checks.actual_cost(&checked, &response);
            app.metrics.cost(&counted_as, requested, actual);
            Some((requested, actual, meter.settle(charged, requested, actual)))
        }
        _ => None,
    };
    metered(media_type, response, request_id, cost)
}

/// [`graphql_response`], with what the request cost (requested, actual, and the caller's
/// standing after it) in `extensions.cost` and the `RateLimit` headers; without them where
/// budgets are off.
fn metered(
    media_type: &'static str,
    mut response: async_graphql::Response,
    request_id: &str,
    cost: Option<(u64, u64, Standing)>,
) -> Response {
    let Some((requested, actual, standing)) = cost else {
        return graphql_response(media_type, response, request_id);
    };
    response.extensions.insert(
        "cost".to_owned(),
        throttle::cost_extension(requested, actual, standing),
    );
    throttle::with_headers(graphql_response(media_type, response, request_id), standing)
}

/// The media type of the answer: `application/graphql-response+json` when the client asks for
/// it, `application/json` when it asks for that, for anything (`*/*`) or says nothing.
fn negotiate(headers: &HeaderMap) -> Option<&'static str> {
    let Some(accept) = headers.get(ACCEPT).and_then(|value| value.to_str().ok()) else {
        return Some(JSON);
    };
    let mut best: Option<(&'static str, f32)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media_range = parts.next().unwrap_or_default().to_ascii_lowercase();
        let quality = parts
            .filter_map(|param| param.strip_prefix("q="))
            .find_map(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let candidate = match media_range.as_str() {
            "application/graphql-response+json" => GRAPHQL_RESPONSE_JSON,
            "application/json" | "application/*" | "*/*" => JSON,
            _ => continue,
        };
        // Prefer the higher quality; on a tie, prefer the explicitly named GraphQL type.
        let better = match best {
            None => quality > 0.0,
            Some((current, best_quality)) => {
                quality > best_quality
                    || (quality == best_quality
                        && candidate == GRAPHQL_RESPONSE_JSON
                        && current != candidate)
            }
        };
        if better {
            best = Some((candidate, quality));
        }
    }
    best.map(|(media_type, _)| media_type)
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// A refused token: HTTP 401 with the RFC 6750 challenge and the reason as a code.
fn token_refused(media_type: &'static str, err: TokenError) -> Response {
    let challenge = format!("Bearer error=\"invalid_token\", error_description=\"{err}\"");
    let body = json!({
        "errors": [{
            "message": err.to_string(),
            "extensions": { "code": ErrorCode::Unauthenticated.as_str(), "reason": err.code() },
        }]
    });
    let mut response = (
        StatusCode::UNAUTHORIZED,
        [(CONTENT_TYPE, media_type)],
        body.to_string(),
    )
        .into_response();
    if let Ok(challenge) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(WWW_AUTHENTICATE, challenge);
    }
    response
}

/// The GraphQL response in the negotiated media type. A request that never reached execution
/// (unparsable, invalid, too complex, bad variables) is a 400 under
/// `application/graphql-response+json` and carries no `data`; under `application/json` it is a
/// 200, as the spec asks for older clients.
fn graphql_response(
    media_type: &'static str,
    response: async_graphql::Response,
    request_id: &str,
) -> Response {
    let request_failed = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| error.path.is_empty());
    let mut body = serde_json::to_value(&response).unwrap_or_else(|_| json!({}));
    if let Some(errors) = body.get_mut("errors").and_then(Value::as_array_mut) {
        for error in errors {
            give_code(error, request_failed, request_id);
        }
    }
    let unavailable = body
        .get("errors")
        .and_then(Value::as_array)
        .is_some_and(|errors| {
            errors
                .iter()
                .any(|error| error["extensions"]["code"] == ErrorCode::ServiceUnavailable.as_str())
        });
    let status = if unavailable {
        // Part of the answer could not be had from the database: the whole request is worth
        // sending again, and the status says so to clients and proxies alike.
        StatusCode::SERVICE_UNAVAILABLE
    } else if request_failed && media_type == GRAPHQL_RESPONSE_JSON {
        if let Some(body) = body.as_object_mut() {
            body.remove("data");
        }
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut response = (status, [(CONTENT_TYPE, media_type)], body.to_string()).into_response();
    if unavailable {
        response
            .headers_mut()
            .insert(RETRY_AFTER, RETRY_UNAVAILABLE_AFTER.clone());
    }
    response
}

/// A request that failed inside the server: 500 `INTERNAL`, with the request id that finds
/// its log.
fn internal_failure(media_type: &'static str, request_id: &str) -> Response {
    let body = json!({ "errors": [{
        "message": "internal error",
        "extensions": { "code": ErrorCode::Internal.as_str(), "requestId": request_id },
    }] });
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(CONTENT_TYPE, media_type)],
        body.to_string(),
    )
        .into_response()
}

/// A database failure outside execution (checking the caller, auditing what it read): 503
/// `SERVICE_UNAVAILABLE` with `Retry-After` when the database could not be reached in time, 500
/// `INTERNAL` with the request id otherwise.
fn database_failure(media_type: &'static str, err: &DbErr, request_id: &str) -> Response {
    let error = ApiError::from_db(err);
    let code = error.code();
    let mut extensions = json!({ "code": code.as_str() });
    let status = if code == ErrorCode::ServiceUnavailable {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        extensions["requestId"] = json!(request_id);
        StatusCode::INTERNAL_SERVER_ERROR
    };
    let body = json!({ "errors": [{ "message": error.to_string(), "extensions": extensions }] });
    let mut response = (status, [(CONTENT_TYPE, media_type)], body.to_string()).into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(RETRY_AFTER, RETRY_UNAVAILABLE_AFTER.clone());
    }
    response
}

/// Every error leaves with a code. Errors raised before execution, and input values the
/// executor refuses, are the client's (QUERY_TOO_COMPLEX or BAD_USER_INPUT); any other error
/// without a code is the server's own: its message is logged and replaced, so nothing internal
/// leaks.
fn give_code(error: &mut Value, request_failed: bool, request_id: &str) {
    let Some(error) = error.as_object_mut() else {
        return;
    };
    let code = error
        .get("extensions")
        .and_then(|extensions| extensions.get("code"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(code) = code {
        // An internal error raised with its code (from the database, say) still needs the
        // request id that finds its log.
        if code == ErrorCode::Internal.as_str()
            && let Some(Value::Object(extensions)) = error.get_mut("extensions")
        {
            extensions.insert("requestId".to_owned(), json!(request_id));
        }
        return;
    }
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    // async-graphql checks input values (validators, coercion) as it resolves the field.
    let invalid_input = message.starts_with("Failed to parse")
        || message.starts_with("Invalid value")
        || message.starts_with("Expected input type");
    let code = if !request_failed && !invalid_input {
        tracing::error!(error.message = %message, "resolver failed without an error code");
        error.insert("message".to_owned(), json!("internal error"));
        ErrorCode::Internal
    } else if message.contains("too complex") || message.contains("nested too deep") {
        ErrorCode::QueryTooComplex
    } else {
        ErrorCode::BadUserInput
    };
    let extensions = error.entry("extensions").or_insert_with(|| json!({}));
    if let Some(extensions) = extensions.as_object_mut() {
        extensions.insert("code".to_owned(), json!(code.as_str()));
        if code == ErrorCode::Internal {
            extensions.insert("requestId".to_owned(), json!(request_id));
        }
    }
}

fn error_body(message: &str, code: ErrorCode) -> String {
    json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] })
        .to_string()
}

/// A request error before any GraphQL processing, in whatever media type the client accepts.
fn request_error(headers: &HeaderMap, status: StatusCode, message: &str) -> Response {
    let media_type = negotiate(headers).unwrap_or(JSON);
    (
        status,
        [(CONTENT_TYPE, media_type)],
        error_body(message, ErrorCode::BadUserInput),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepting(accept: Option<&str>) -> Option<&'static str> {
        let mut headers = HeaderMap::new();
        if let Some(accept) = accept {
            headers.insert(
                ACCEPT,
                HeaderValue::from_str(accept).expect("a header value"),
            );
        }
        negotiate(&headers)
    }

    #[test]
    fn the_answer_is_json_unless_the_graphql_type_is_asked_for() {
        assert_eq!(accepting(None), Some(JSON));
        assert_eq!(accepting(Some("*/*")), Some(JSON));
        assert_eq!(accepting(Some("application/json")), Some(JSON));
        assert_eq!(
            accepting(Some("application/graphql-response+json")),
            Some(GRAPHQL_RESPONSE_JSON)
        );
    }

    #[test]
    fn quality_decides_and_the_graphql_type_wins_a_tie() {
        assert_eq!(
            accepting(Some("application/json, application/graphql-response+json")),
            Some(GRAPHQL_RESPONSE_JSON)
        );
        assert_eq!(
            accepting(Some(
                "application/graphql-response+json;q=0.5, application/json"
            )),
            Some(JSON)
        );
        assert_eq!(accepting(Some("application/json;q=0")), None);
        assert_eq!(accepting(Some("text/html")), None);
    }
}
