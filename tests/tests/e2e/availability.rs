//! A database that is saturated or gone: requests are answered `SERVICE_UNAVAILABLE` (503 with
//! `Retry-After`) once `DATABASE_ACQUIRE_TIMEOUT` passes, instead of waiting or failing with
//! `INTERNAL`; liveness never asks the database, and readiness asks on a connection of its own,
//! so it never waits behind requests.

use gongzhi_tests::cluster::Cluster;
use gongzhi_tests::{TestApp, e2e};
use sea_orm::TransactionTrait;
use serde_json::{Value, json};

// A pool of two connections that a request waits a second for.
e2e!(
    configured: |config| {
        config.database.max_connections = 2;
        config.database.acquire_timeout_secs = 1;
    };
    a_saturated_pool_answers_503_and_stays_ready,
);

e2e!(requests_abandoned_mid_flight_leave_no_transaction_open);

const QUERY: &str = "{ adminUnits(first: 1) { totalCount } }";

/// Posts [`QUERY`] and returns the status, the `Retry-After` header and the body.
async fn ask(app: &TestApp) -> (u16, Option<String>, Value) {
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": QUERY }))
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    (
        status,
        retry_after,
        response.json().await.expect("a JSON body"),
    )
}

async fn status_of(app: &TestApp, path: &str) -> u16 {
    app.client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .expect("the server answers")
        .status()
        .as_u16()
}

/// The answer of a request that found no connection: 503, `Retry-After`, the code, and no
/// request id (nothing failed inside the server).
fn assert_unavailable((status, retry_after, body): (u16, Option<String>, Value)) {
    assert_eq!(status, 503, "{body}");
    assert_eq!(retry_after.as_deref(), Some("1"));
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "SERVICE_UNAVAILABLE", "{body}");
    assert!(error["extensions"].get("requestId").is_none(), "{body}");
}

async fn a_saturated_pool_answers_503_and_stays_ready(app: TestApp) {
    let (status, _, body) = ask(&app).await;
    assert_eq!(status, 200, "{body}");
    // Every connection of the pool is taken, as by long-running requests.
    let held = [
        app.db().begin().await.expect("a connection"),
        app.db().begin().await.expect("a connection"),
    ];
    assert_unavailable(ask(&app).await);
    // The token endpoints say the same in OAuth's words.
    let login = app
        .client
        .post(format!("{}/auth/login", app.address))
        .json(&json!({ "username": "nobody", "password": "not a password" }))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(login.status().as_u16(), 503);
    assert_eq!(login.headers()["retry-after"], "1");
    let login: Value = login.json().await.expect("a JSON body");
    assert_eq!(login["error"], "temporarily_unavailable", "{login}");
    // Readiness has a connection of its own; liveness needs none.
    assert_eq!(status_of(&app, "/health/ready").await, 200);
    assert_eq!(status_of(&app, "/health").await, 200);
    assert_eq!(status_of(&app, "/health/live").await, 200);
    drop(held);
    let (status, _, body) = ask(&app).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"]["adminUnits"]["totalCount"].as_u64() > Some(0));
}

/// The database stops as in a crash, then comes back: meanwhile every request is a prompt 503,
/// the server stays live but not ready, and it recovers without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_database_answers_503_until_it_is_back() {
    let cluster = Cluster::create();
    let app = TestApp::spawn_on(cluster.url(), |config| {
        config.database.acquire_timeout_secs = 1;
    })
    .await;
    let (status, _, body) = ask(&app).await;
    assert_eq!(status, 200, "{body}");

    cluster.stop();
    // The first request finds pooled connections broken, the next must open new ones.
    assert_unavailable(ask(&app).await);
    assert_unavailable(ask(&app).await);
    assert_eq!(status_of(&app, "/health/live").await, 200);
    let ready = app
        .client
        .get(format!("{}/health/ready", app.address))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(ready.status(), 503);
    let ready: Value = ready.json().await.expect("a JSON body");
    assert_eq!(ready["status"], "unavailable");
    assert_eq!(ready["reason"], "the database does not answer", "{ready}");

    cluster.start();
    let mut ready = false;
    for _ in 0..100 {
        if status_of(&app, "/health/ready").await == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(ready, "the server is ready again once the database is back");
    let (status, _, body) = ask(&app).await;
    assert_eq!(status, 200, "{body}");
}

/// Clients that hang up while their request reads or writes (a timeout, a closed tab) must not
/// leave a pooled connection inside a transaction: the next request to get it would fail, or
/// worse, run inside a transaction nobody commits.
async fn requests_abandoned_mid_flight_leave_no_transaction_open(app: TestApp) {
    let statistics = "{ adminUnits(filter: {level: SUBDISTRICT}) { nodes { \
                      wishStatistics { total } registrationStatistics { servingMembers } } } }";
    for round in 0..100u64 {
        let impatient = reqwest::Client::builder()
            .timeout(std::time::Duration::from_micros(200 + round * 100))
            .build()
            .expect("a client");
        let abandoned = (0..16).map(|_| {
            impatient
                .post(format!("{}/graphql", app.address))
                .json(&json!({ "query": statistics }))
                .send()
        });
        // Most are cut off before their answer comes: that is the point.
        let _ = futures::future::join_all(abandoned).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let answers =
        futures::future::join_all((0..30).map(|_| app.post(None, statistics, json!({})))).await;
    for (status, body) in answers {
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "{body}");
    }
    if app.backend == gongzhi_tests::Backend::Postgres {
        use sea_orm::{ConnectionTrait, Statement};
        let row = app
            .db()
            .query_one_raw(Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT count(*) AS open FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid() \
                 AND state LIKE 'idle in transaction%'",
            ))
            .await
            .expect("ask PostgreSQL")
            .expect("a row");
        let open: i64 = row.try_get("", "open").expect("a count");
        assert_eq!(open, 0, "connections left inside a transaction");
    }
}
