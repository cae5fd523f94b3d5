//! What `/metrics` shows Prometheus about this instance (OpenMetrics text, written by
//! Prometheus's own client library, with a registry per server): HTTP requests by route and
//! status with their latency, GraphQL requests by caller and operation with the cost they asked
//! for and spent and the throttles they met, failed sign-ins, and SQL statements.
//!
//! Labels stay few: a caller is an API client by its id (the district registers them) or a
//! kind of caller; an operation is its name when it is a plain GraphQL name, and "other" once an
//! instance has seen [`OPERATIONS`] different ones.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::auth::{Principal, PrincipalKind, SubjectRef};
use crate::db::StatementCounter;

/// The caller label of requests without a token.
const ANONYMOUS: &str = "anonymous";

/// How many operation names an instance labels separately.
const OPERATIONS: usize = 200;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabel {
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    caller: String,
    operation: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallerLabel {
    caller: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CredentialLabel {
    credential: &'static str,
}

type Latencies = Family<RouteLabel, Histogram, fn() -> Histogram>;

/// The instance's metrics.
pub struct Metrics {
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    http_seconds: Latencies,
    graphql_requests: Family<OperationLabels, Counter>,
    requested_cost: Family<CallerLabel, Counter>,
    actual_cost: Family<CallerLabel, Counter>,
    throttled: Family<CallerLabel, Counter>,
    failed_sign_ins: Family<CredentialLabel, Counter>,
    operations: Mutex<HashSet<String>>,
}

/// Who a request's metrics are counted for.
pub fn caller_label(principal: &Principal) -> String {
    match (
        principal.kind,
        principal.subject.as_deref().and_then(SubjectRef::parse),
    ) {
        (_, Some(SubjectRef::Client(client_id))) => format!("client:{client_id}"),
        (None, _) => ANONYMOUS.to_owned(),
        (Some(PrincipalKind::Client), _) => "development_client".to_owned(),
        (Some(PrincipalKind::Staff), _) => "account".to_owned(),
        (Some(PrincipalKind::Person), _) => "person".to_owned(),
    }
}

impl Metrics {
    pub fn new(statements: &StatementCounter) -> Self {
        let mut registry = Registry::with_prefix("gongzhi");
        let http_requests = counters(
            &mut registry,
            "http_requests",
            "HTTP requests answered, by route and status",
        );
        let http_seconds: Latencies =
            Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.001, 2.0, 14)));
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route",
            http_seconds.clone(),
        );
        let graphql_requests = counters(
            &mut registry,
            "graphql_requests",
            "GraphQL requests, by caller (an API client's id, or a kind of caller) and operation name",
        );
        let requested_cost = counters(
            &mut registry,
            "graphql_requested_cost_points",
            "Query-cost points requests asked for, by caller",
        );
        let actual_cost = counters(
            &mut registry,
            "graphql_actual_cost_points",
            "Query-cost points requests spent once run, by caller",
        );
        let throttled = counters(
            &mut registry,
            "graphql_throttled",
            "Requests refused with THROTTLED, by caller",
        );
        let failed_sign_ins = counters(
            &mut registry,
            "failed_sign_ins",
            "Failed sign-ins: wrong passwords (account) and client secrets (api_client)",
        );
        registry.register(
            "db_statements",
            "SQL statements the server has run",
            statements.counter(),
        );
        Self {
            registry,
            http_requests,
            http_seconds,
            graphql_requests,
            requested_cost,
            actual_cost,
            throttled,
            failed_sign_ins,
            operations: Mutex::default(),
        }
    }

    /// The metrics in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }

    /// A GraphQL request by `caller`, running `operation`. Operation names are kept for
    /// callers with a token only: anonymous ones could fill the labels with names of their own.
    pub fn graphql_request(&self, caller: &str, operation: Option<&str>) {
        let operation = operation.filter(|_| caller != ANONYMOUS);
        let labels = OperationLabels {
            caller: caller.to_owned(),
            operation: self.operation_label(operation),
        };
        self.graphql_requests.get_or_create(&labels).inc();
    }

    /// What a request by `caller` asked for (`requested` points) and spent (`actual`).
    pub fn cost(&self, caller: &str, requested: u64, actual: u64) {
        let caller = CallerLabel {
            caller: caller.to_owned(),
        };
        self.requested_cost.get_or_create(&caller).inc_by(requested);
        self.actual_cost.get_or_create(&caller).inc_by(actual);
    }

    /// A request by `caller` refused with `THROTTLED`.
    pub fn throttled(&self, caller: &str) {
        let caller = CallerLabel {
            caller: caller.to_owned(),
        };
        self.throttled.get_or_create(&caller).inc();
    }

    /// A failed sign-in with an account's password or a client's secret.
    pub fn failed_sign_in(&self, credential: &'static str) {
        self.failed_sign_ins
            .get_or_create(&CredentialLabel { credential })
            .inc();
    }

    fn operation_label(&self, operation: Option<&str>) -> String {
        let Some(name) = operation.filter(|name| is_plain_name(name)) else {
            return String::new();
        };
        let mut seen = self
            .operations
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if seen.contains(name) {
            return name.to_owned();
        }
        if seen.len() < OPERATIONS {
            seen.insert(name.to_owned());
            return name.to_owned();
        }
        "other".to_owned()
    }

    /// An HTTP request of `route` answered with `status` after `took`.
    pub fn http_request(&self, route: String, status: u16, took: Duration) {
        self.http_seconds
            .get_or_create(&RouteLabel {
                route: route.clone(),
            })
            .observe(took.as_secs_f64());
        self.http_requests
            .get_or_create(&HttpLabels { route, status })
            .inc();
    }
}

/// A family of counters by the labels `L`, registered as `name`.
fn counters<L>(registry: &mut Registry, name: &str, help: &str) -> Family<L, Counter>
where
    L: EncodeLabelSet + Clone + std::hash::Hash + Eq + std::fmt::Debug + Send + Sync + 'static,
{
    let family = Family::<L, Counter>::default();
    registry.register(name, help, family.clone());
    family
}

/// A GraphQL name of at most 64 characters, as operation names are.
fn is_plain_name(name: &str) -> bool {
    name.len() <= 64
        && name
            .chars()
            .next()
            .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
