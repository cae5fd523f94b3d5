//! What the handlers share.

use std::sync::Arc;
use std::time::Duration;

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use sea_orm::DatabaseConnection;

use super::metrics::Metrics;
use crate::auth::TokenService;
use crate::db::StatementCounter;
use crate::domain::statistics::FiguresCache;
use crate::graphql::{GongzhiSchema, RequestChecks};
use crate::traffic::{AttemptLimits, Budgets, Policy};

/// The server's version, in `/health` and on every response.
pub(super) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The header that carries each request's id, set when the client sent none.
pub(super) static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// `Retry-After` of a request refused because the database could not be reached in time: a
/// second, about what a busy pool needs to free a connection.
pub(super) static RETRY_UNAVAILABLE_AFTER: HeaderValue = HeaderValue::from_static("1");

/// What the handlers share: cheap to clone, one per server.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// The most connections of the pool one request uses at once.
    pub connections_per_request: usize,
    /// The readiness probe's own connection (see `db::connect_probe`).
    pub probe: DatabaseConnection,
    pub schema: GongzhiSchema,
    /// What the spec asks of a request beyond what the schema checks.
    pub checks: Arc<RequestChecks>,
    /// The schema's SDL, printed once.
    pub sdl: Arc<str>,
    /// The origins whose browser apps may call the API (CORS); none by default.
    pub cors_origins: Vec<HeaderValue>,
    /// How long a client has to send a request's body.
    pub body_timeout: Duration,
    pub tokens: Arc<TokenService>,
    /// How long a refresh token of a signed-in account lasts.
    pub refresh_token_ttl: Duration,
    pub statements: StatementCounter,
    /// Rolled-up figures by database snapshot, shared by every request of this instance.
    pub figures: Arc<FiguresCache>,
    /// The buckets: callers' budgets of query-cost points, and failed sign-ins.
    pub buckets: Arc<Budgets>,
    /// The budgets' sizes; `None` where budgets are off.
    pub budget_policy: Option<Policy>,
    /// How many failed sign-ins a credential and an address may have.
    pub attempt_limits: AttemptLimits,
    /// What `/metrics` shows.
    pub metrics: Arc<Metrics>,
}

/// The address a request came from (the peer of its connection, which `serve` records), which
/// anonymous callers' budgets and failed sign-ins are kept by; unspecified where the server was
/// not told.
pub(super) fn source_address(peer: Option<&ConnectInfo<SocketAddr>>) -> IpAddr {
    peer.map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), |ConnectInfo(peer)| {
        peer.ip().to_canonical()
    })
}

/// The request's id (`X-Request-Id`, set by the router when the client sent none).
pub(super) fn request_id(headers: &HeaderMap) -> &str {
    headers
        .get(&X_REQUEST_ID)
        .and_then(|id| id.to_str().ok())
        .unwrap_or_default()
}
