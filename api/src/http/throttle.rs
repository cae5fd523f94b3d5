//! How a request's budget shows in its answer: `extensions.cost` in Shopify's shape, the IETF
//! `RateLimit` and `RateLimit-Policy` headers (draft-ietf-httpapi-ratelimit-headers), and the
//! refusal of a request its caller's bucket cannot pay for.

use std::sync::Arc;

use async_graphql::ServerError;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::json;

use crate::error::ErrorCode;
use crate::graphql::errors::too_costly;
use crate::graphql::points;
use crate::traffic::{Budgets, Decision, Limits, Standing};

/// A request's dealings with its caller's bucket.
pub struct Meter {
    budgets: Arc<Budgets>,
    bucket: String,
    limits: Limits,
}

impl Meter {
    pub fn new(budgets: Arc<Budgets>, bucket: String, limits: Limits) -> Self {
        Self {
            budgets,
            bucket,
            limits,
        }
    }

    /// Where the bucket stands, without spending: for a request refused before it was priced.
    pub async fn standing(&self) -> Standing {
        self.budgets
            .take(&self.bucket, self.limits, 0.0)
            .await
            .standing()
    }

    /// Takes what the request was priced at, or refuses it.
    pub async fn charge(&self, requested: u64) -> Decision {
        self.budgets
            .take(&self.bucket, self.limits, requested as f64)
            .await
    }

    /// Settles the request once it ran at `actual` points: gives back what it did not use of
    /// the `requested` it was charged, or takes what it used beyond (a list that held more
    /// than it was priced at), into debt if need be. The standing after.
    pub fn settle(self, charged: Standing, requested: u64, actual: u64) -> Standing {
        if actual > requested {
            let more = actual - requested;
            self.budgets.charge_more(self.bucket, self.limits, more);
            Standing {
                available: charged.available - more as f64,
                ..charged
            }
        } else {
            let unused = requested - actual;
            self.budgets.give_back(self.bucket, self.limits, unused);
            charged.with(unused as f64)
        }
    }
}

static RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");
static RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");

/// `extensions.cost` of a response: what the request was priced at, what it cost, and the
/// caller's bucket after it.
pub fn cost_extension(requested: u64, actual: u64, standing: Standing) -> async_graphql::Value {
    let value = json!({
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": {
            "maximumAvailable": standing.limits.capacity,
            "currentlyAvailable": points(standing.available),
            "restoreRate": standing.limits.restore_rate,
        },
    });
    async_graphql::Value::from_json(value).unwrap_or_default()
}

/// Adds the `RateLimit-Policy` (the bucket's size in points, and the seconds it takes to fill
/// from empty) and `RateLimit` headers (the points left, and the seconds until the bucket is
/// full again) to `response`.
pub fn with_headers(mut response: Response, standing: Standing) -> Response {
    let limits = standing.limits;
    let window = (limits.capacity / limits.restore_rate).ceil();
    let policy = format!("\"budget\";q={};w={window}", points(limits.capacity));
    let state = format!(
        "\"budget\";r={};t={}",
        points(standing.available),
        standing.until_full().as_secs_f64().ceil()
    );
    let headers = response.headers_mut();
    for (name, value) in [(&RATELIMIT_POLICY, policy), (&RATELIMIT, state)] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name.clone(), value);
        }
    }
    response
}

/// The refusal of a request that costs more (`requested`) than the caller's bucket holds at
/// all, which waiting would not help: `QUERY_TOO_COSTLY`, naming the bucket's size. `None` when
/// the bucket will hold it in time.
pub fn beyond_capacity(requested: u64, standing: Standing) -> Option<ServerError> {
    let capacity = points(standing.limits.capacity);
    if requested <= capacity {
        return None;
    }
    Some(too_costly(
        format!(
            "the query costs {requested} points, more than the {capacity} your budget holds: ask \
             for smaller pages (`first`/`last`) or fewer fields, or split it"
        ),
        requested,
        capacity,
    ))
}

/// The answer to a request whose cost (`requested`) the caller's bucket does not hold yet: 429
/// `THROTTLED`, with `Retry-After` the whole seconds until it does.
pub fn throttled(media_type: &'static str, requested: u64, standing: Standing) -> Response {
    let wait = standing
        .until(requested as f64)
        .as_secs_f64()
        .ceil()
        .max(1.0);
    let message = format!(
        "the query costs {requested} points and your budget holds {available}: try again in \
         {wait} s (it restores {rate} points a second)",
        available = points(standing.available),
        rate = standing.limits.restore_rate,
    );
    let body = json!({
        "errors": [{ "message": message, "extensions": { "code": ErrorCode::Throttled.as_str() } }],
        "extensions": { "cost": cost_extension(requested, 0, standing) },
    });
    let mut response = Response::new(body.to_string().into());
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static(media_type),
    );
    if let Ok(value) = HeaderValue::from_str(&wait.to_string()) {
        headers.insert(RETRY_AFTER, value);
    }
    with_headers(response, standing)
}
