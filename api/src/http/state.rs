//! What the handlers share.

use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderName;
use sea_orm::DatabaseConnection;

use crate::auth::TokenService;
use crate::db::StatementCounter;
use crate::graphql::GongzhiSchema;

/// The header that carries each request's id, set when the client sent none.
pub(super) static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What the handlers share: cheap to clone, one per server.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub schema: GongzhiSchema,
    pub tokens: Arc<TokenService>,
    /// How long a refresh token of a signed-in account lasts.
    pub refresh_token_ttl: Duration,
    pub statements: StatementCounter,
}
