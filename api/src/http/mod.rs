//! The HTTP surface, the top layer: the router and its shared state, GraphQL over HTTP
//! ([`graphql`]), the token endpoints ([`oauth`]) and the operational routes ([`ops`]: health,
//! metrics, the token keys). Everything below it knows nothing of HTTP.

mod documents;
mod graphiql;
mod graphql;
mod metrics;
mod oauth;
mod ops;
mod serve;
mod state;
mod throttle;

use axum::Router;
use axum::http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, Method, Request};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::RequestBodyDeadlineLayer;
use tower_http::trace::TraceLayer;

pub use metrics::Metrics;
pub use serve::serve;
pub use state::AppState;
use state::{VERSION, X_REQUEST_ID};

/// The router with every route and the request-id and tracing layers.
pub fn router(state: AppState) -> Router {
    let cors = cors(&state.cors_origins);
    let body_timeout = state.body_timeout;
    let router = Router::new()
        .merge(graphql::routes())
        .merge(graphiql::routes())
        .merge(oauth::routes())
        .merge(ops::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::track,
        ))
        .with_state(state)
        // A body not sent in time fails its reading, and the handler answers 408.
        .layer(RequestBodyDeadlineLayer::new(body_timeout))
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
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-gongzhi-version"),
            HeaderValue::from_static(VERSION),
        ));
    match cors {
        Some(cors) => router.layer(cors),
        None => router,
    }
}

/// Cross-origin access for the browser apps of `origins`, none when it is empty: preflights
/// answered, the API's headers allowed, credentials never (callers send bearer tokens, not
/// cookies), so no origin is ever a wildcard for a signed-in browser.
fn cors(origins: &[HeaderValue]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins.iter().cloned()))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([ACCEPT, AUTHORIZATION, CONTENT_TYPE])
            .expose_headers([
                X_REQUEST_ID.clone(),
                HeaderName::from_static("x-gongzhi-version"),
            ])
            .max_age(std::time::Duration::from_secs(600)),
    )
}
