//! What the handlers share.

use std::sync::Arc;
use std::time::Duration;

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use ipnet::IpNet;
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
    /// The proxies whose `X-Forwarded-For` is believed (`GONGZHI_TRUSTED_PROXIES`).
    pub trusted_proxies: Arc<[IpNet]>,
}

/// The address a request came from, which anonymous callers' budgets and failed sign-ins are
/// kept by: the peer of its connection (which `serve` records; unspecified where the server was
/// not told), or, when that peer is one of `trusted` proxies, the address its
/// `X-Forwarded-For` names — the nearest one not itself a trusted proxy, since a client may
/// put anything at the far end.
pub(super) fn source_address(
    trusted: &[IpNet],
    peer: Option<&ConnectInfo<SocketAddr>>,
    headers: &HeaderMap,
) -> IpAddr {
    let peer = peer.map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), |ConnectInfo(peer)| {
        peer.ip().to_canonical()
    });
    let is_trusted = |address: &IpAddr| trusted.iter().any(|proxy| proxy.contains(address));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded: Vec<&str> = headers
        .get_all(&X_FORWARDED_FOR)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    // From the nearest hop outwards: each trusted proxy vouches for the hop before it.
    let mut client = peer;
    for hop in forwarded.iter().rev() {
        let Ok(address) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        client = address.to_canonical();
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

/// The header proxies name the client's address in.
static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The request's id (`X-Request-Id`, set by the router when the client sent none).
pub(super) fn request_id(headers: &HeaderMap) -> &str {
    headers
        .get(&X_REQUEST_ID)
        .and_then(|id| id.to_str().ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(trusted: &[&str], peer: &str, forwarded: Option<&str>) -> IpAddr {
        let trusted: Vec<IpNet> = trusted
            .iter()
            .map(|net| net.parse().expect("a range"))
            .collect();
        let peer = ConnectInfo(SocketAddr::new(peer.parse().expect("an address"), 40000));
        let mut headers = HeaderMap::new();
        if let Some(forwarded) = forwarded {
            headers.insert(
                &X_FORWARDED_FOR,
                HeaderValue::from_str(forwarded).expect("a header"),
            );
        }
        source_address(&trusted, Some(&peer), &headers)
    }

    fn ip(address: &str) -> IpAddr {
        address.parse().expect("an address")
    }

    #[test]
    fn the_peer_is_the_client_unless_it_is_a_trusted_proxy() {
        // Nobody is trusted: what a client claims is ignored.
        assert_eq!(
            from(&[], "198.51.100.7", Some("203.0.113.5")),
            ip("198.51.100.7")
        );
        let proxy = ["10.0.0.0/8"];
        assert_eq!(
            from(&proxy, "198.51.100.7", Some("203.0.113.5")),
            ip("198.51.100.7")
        );
        // A trusted proxy names the client; what the client wrote before it does not count.
        assert_eq!(
            from(&proxy, "10.0.0.1", Some("203.0.113.5")),
            ip("203.0.113.5")
        );
        assert_eq!(
            from(&proxy, "10.0.0.1", Some("1.1.1.1, 203.0.113.5")),
            ip("203.0.113.5")
        );
        // Through two trusted proxies.
        assert_eq!(
            from(&proxy, "10.0.0.1", Some("203.0.113.5, 10.0.0.2")),
            ip("203.0.113.5")
        );
        // Garbage the client wrote is never reached; garbage from the proxy leaves the peer.
        assert_eq!(
            from(&proxy, "10.0.0.1", Some("not an address, 203.0.113.5")),
            ip("203.0.113.5")
        );
        assert_eq!(from(&proxy, "10.0.0.1", Some("nonsense")), ip("10.0.0.1"));
        assert_eq!(from(&proxy, "10.0.0.1", None), ip("10.0.0.1"));
    }
}
