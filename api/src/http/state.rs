//! What the handlers share.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue};
use sea_orm::DatabaseConnection;

use crate::auth::TokenService;
use crate::db::StatementCounter;
use crate::domain::statistics::FiguresCache;
use crate::graphql::{GongzhiSchema, RequestChecks};
use crate::traffic::{Budgets, Policy};

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
    /// Every caller's budget of query-cost points.
    pub budgets: Arc<Budgets>,
    /// The budgets' sizes.
    pub budget_policy: Policy,
}
