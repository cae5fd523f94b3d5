//! The operational routes: health for load balancers, metrics for Prometheus (and the layer
//! that counts every request for them), and the public keys that verify this server's tokens.

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::state::{AppState, VERSION};
use crate::db;

/// `/health/live`, `/health/ready` (and `/health`, the same), `/metrics` and
/// `/.well-known/jwks.json`.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route("/health", get(ready))
        .route("/metrics", get(metrics))
        .route("/.well-known/jwks.json", get(jwks))
}

/// Liveness: 200 while the process serves HTTP, whatever the database does, so an orchestrator
/// restarts only a server that is stuck, never every server when the database is down.
async fn live() -> Response {
    axum::Json(json!({ "status": "ok", "version": VERSION })).into_response()
}

/// Readiness: 200 when the database answers within a second, 503 with the reason when it does
/// not. The check has a connection of its own, so it never waits behind GraphQL work.
async fn ready(State(app): State<AppState>) -> Response {
    match db::ping(&app.probe).await {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(json!({ "status": "ok", "version": VERSION })),
        )
            .into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "health check failed");
            let body = json!({
                "status": "unavailable",
                "reason": "the database does not answer",
                "version": VERSION,
            });
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
        }
    }
}

/// The instance's metrics, for Prometheus (see `metrics`).
async fn metrics(State(app): State<AppState>) -> Response {
    (
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics.encode(),
    )
        .into_response()
}

/// The public keys that verify this server's tokens (RFC 7517).
async fn jwks(State(app): State<AppState>) -> Response {
    axum::Json(app.tokens.keys().jwks().clone()).into_response()
}

/// Counts every request of a route, with its status and the time it took.
pub(super) async fn track(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(String::new, |path| path.as_str().to_owned());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    app.metrics
        .http_request(route, response.status().as_u16(), started.elapsed());
    response
}
