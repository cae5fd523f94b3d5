//! The caller's budget of query-cost points, as the request found it, and the trusted
//! documents of an API client.

use async_graphql::Object;
use chrono::{DateTime, Utc};
use entities::trusted_document;

use crate::traffic::Standing;

/// The caller's budget as this request found it.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    /// What this request costs, as priced before it ran.
    pub cost: u64,
    /// The bucket after that cost was taken.
    pub standing: Standing,
    /// When the request was decided.
    pub at: DateTime<Utc>,
}

/// Where the caller's budget stands: a leaky bucket of query-cost points, like Shopify's per
/// app (the `Query` type's description gives the model). The same figures come back with every
/// response in `extensions.cost.throttleStatus` and the `RateLimit` header.
#[Object]
impl RateLimit {
    /// This request's cost in points, as priced before it ran; asking only for `rateLimit`
    /// costs 0.
    async fn cost(&self) -> u64 {
        self.cost
    }

    /// The most points the caller's bucket holds, and so the most one query may cost.
    async fn limit(&self) -> u64 {
        points(self.standing.limits.capacity)
    }

    /// The points left in the bucket after this request, rounded down.
    async fn remaining(&self) -> u64 {
        points(self.standing.available)
    }

    /// The points the bucket restores each second.
    async fn restore_rate(&self) -> u64 {
        points(self.standing.limits.restore_rate)
    }

    /// When the bucket will be full again if the caller sends nothing more.
    async fn reset_at(&self) -> DateTime<Utc> {
        self.at + self.standing.until_full()
    }
}

/// A count of points, rounded down.
pub fn points(points: f64) -> u64 {
    // A float to an integer saturates in Rust, and the bucket's points are never negative.
    points.floor() as u64
}

/// A GraphQL document registered for an API client (a persisted operation).
pub struct TrustedDocument(pub trusted_document::Model);

/// A GraphQL document registered for an API client (a persisted operation): the client sends
/// `{"documentId": "sha256:…"}` (or Apollo's `persistedQuery` extension) instead of the text.
/// A client that runs trusted documents only runs nothing else.
#[Object]
impl TrustedDocument {
    /// `sha256:` and the 64 lowercase hex digits of the SHA-256 of `body`, byte for byte: what
    /// the client sends as `documentId`.
    async fn document_id(&self) -> &str {
        &self.0.document_id
    }

    /// The document's text, exactly as registered.
    async fn body(&self) -> &str {
        &self.0.body
    }

    /// When it was registered.
    async fn registered_at(&self) -> DateTime<Utc> {
        self.0.registered_at
    }
}
