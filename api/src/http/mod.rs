//! The HTTP surface, the top layer: the router and its shared state, GraphQL over HTTP
//! ([`graphql`]), the token endpoints ([`oauth`]) and the operational routes ([`ops`]: health,
//! metrics, the token keys). Everything below it knows nothing of HTTP.

mod graphiql;
mod graphql;
mod oauth;
mod ops;
mod state;

use axum::Router;
use axum::http::Request;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

pub use state::AppState;
use state::X_REQUEST_ID;

/// The router with every route and the request-id and tracing layers.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(graphql::routes())
        .merge(graphiql::routes())
        .merge(oauth::routes())
        .merge(ops::routes())
        .with_state(state)
        .layer(PropagateRequestIdLayer::new(X_REQUEST_ID.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let request_id = request
                .extensions()
                .get::<RequestId>()
                .and_then(|id| id.header_value().to_str().ok())
                .unwrap_or_default();
            tracing::info_span!("request", request.id = %request_id, http.method = %request.method(), http.path = %request.uri().path())
        }))
        .layer(SetRequestIdLayer::new(X_REQUEST_ID.clone(), MakeRequestUuid))
}
