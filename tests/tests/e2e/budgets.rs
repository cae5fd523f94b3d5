//! Traffic budgets over HTTP: every response says what it cost and where the caller's bucket
//! stands, a caller whose bucket cannot pay is refused with 429 before anything runs and
//! recovers at the restore rate, anonymous callers spend by address, and two instances sharing
//! Redis hold one budget — or, while Redis is away, each its own, without failing a request.

use std::time::{Duration, Instant};

use futures::future::join_all;
use gongzhi::auth::clients::{self, BudgetLimits};
use gongzhi_tests::clients::{issued_token, new_client};
use gongzhi_tests::demo::{DISTRICT, QIYI, new_person};
use gongzhi_tests::{Backend, Role, TestApp, e2e};
use serde_json::{Value, json};

e2e!(
    every_answer_says_what_it_cost_and_where_the_budget_stands,
    a_client_that_empties_its_bucket_is_throttled_until_it_refills,
    short_lists_are_refunded_and_failed_fields_are_not,
);

// Anonymous callers get a small bucket, signed-in ones the default.
e2e!(
    configured: |config| {
        config.budgets.anonymous_capacity = 10;
        config.budgets.anonymous_restore_rate = 1;
        config.budgets.capacity = 1_000;
        config.budgets.restore_rate = 50;
    };
    anonymous_callers_spend_from_their_address_s_bucket,
);

// Budgets off, and buckets so small that any query would be throttled if they were on.
e2e!(
    configured: |config| {
        config.budgets.enabled = false;
        config.budgets.anonymous_capacity = 1;
        config.budgets.anonymous_restore_rate = 1;
    };
    with_budgets_off_nothing_is_charged_or_throttled,
);

// Behind a proxy on this machine that names each client in `X-Forwarded-For`.
e2e!(
    configured: |config| {
        config.server.trusted_proxies = vec!["127.0.0.1/32".parse().expect("a range")];
        config.budgets.anonymous_capacity = 2;
        config.budgets.anonymous_restore_rate = 1;
    };
    behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket,
);

/// The status, headers and JSON body of a GraphQL POST.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }

    fn cost(&self) -> &Value {
        &self.body["extensions"]["cost"]
    }
}

async fn ask(app: &TestApp, token: Option<&str>, query: &str) -> Answer {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": query }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.expect("a JSON body");
    Answer {
        status,
        headers,
        body,
    }
}

async fn every_answer_says_what_it_cost_and_where_the_budget_stands(app: TestApp) {
    let staff = app.staff_token(Role::DistrictStaff, DISTRICT).await;
    // The model of the `Query` type's description, for page sizes 1, 20 and 100, a list inside
    // a page (the schema nests no connection in another), aliases, and the fields priced
    // apart.
    let priced = [
        ("{ adminUnits(first: 1) { nodes { name } } }", 1 + 1),
        ("{ adminUnits { nodes { name } } }", 1 + 20),
        (
            "{ adminUnits(first: 100) { totalCount nodes { name } } }",
            1 + 100,
        ),
        (
            "{ adminUnits(first: 10) { nodes { children(first: 5) { name } } } }",
            1 + 10 * (1 + 5),
        ),
        (
            "{ adminUnits(first: 10) { nodes { children { name } } } }",
            1 + 10 * (1 + gongzhi::graphql::lists::UNIT_CHILDREN.max),
        ),
        (
            "{ a: adminUnits(first: 3) { nodes { name } } b: adminUnits(first: 4) { nodes { name } } }",
            (1 + 3) + (1 + 4),
        ),
        (
            r#"{ adminUnitByCode(code: "411002") { wishStatistics { total } } }"#,
            1 + 10,
        ),
        ("{ rateLimit { remaining } }", 0),
    ];
    for (query, cost) in priced {
        let answer = ask(&app, Some(&staff), query).await;
        assert_eq!(answer.status, 200, "{query}: {}", answer.body);
        assert_eq!(answer.cost()["requestedQueryCost"], cost, "{query}");
    }

    // A fresh caller, with a bucket of its own.
    let token = app.person_token(new_person(&app).await);
    let query = "{ adminUnits(first: 100, filter: { level: SUBDISTRICT }) { nodes { name } } }";
    let answer = ask(&app, Some(&token), query).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let returned = answer.body["data"]["adminUnits"]["nodes"]
        .as_array()
        .expect("nodes")
        .len() as u64;
    assert!(returned < 100, "a short page: {returned}");
    let cost = answer.cost();
    assert_eq!(cost["requestedQueryCost"], 101);
    assert_eq!(cost["actualQueryCost"], 1 + returned, "{cost}");
    // What the page did not use went back.
    let status = &cost["throttleStatus"];
    assert_eq!(status["maximumAvailable"], 1_000_000.0);
    assert_eq!(status["restoreRate"], 1_000_000.0);
    assert_eq!(
        status["currentlyAvailable"].as_u64(),
        Some(1_000_000 - 1 - returned)
    );
    assert_eq!(
        answer.header("ratelimit-policy"),
        "\"budget\";q=1000000;w=1"
    );
    assert!(
        answer.header("ratelimit").starts_with("\"budget\";r="),
        "{:?}",
        answer.headers
    );

    // Asking where one stands spends nothing, and says the same.
    let answer = ask(
        &app,
        Some(&token),
        "{ rateLimit { cost limit remaining restoreRate resetAt } }",
    )
    .await;
    let limit = &answer.body["data"]["rateLimit"];
    assert_eq!(limit["cost"], 0);
    assert_eq!(limit["limit"], 1_000_000);
    assert_eq!(limit["restoreRate"], 1_000_000);
    assert!(limit["remaining"].as_u64() >= Some(1_000_000 - 1 - returned));
    assert!(limit["resetAt"].is_string());
    assert_eq!(answer.cost()["requestedQueryCost"], 0);

    // A request refused before it runs costs nothing and still says where the caller stands.
    let available =
        |answer: &Answer| answer.cost()["throttleStatus"]["currentlyAvailable"].as_u64();
    let before = available(&answer);
    let answer = ask(
        &app,
        Some(&token),
        "{ adminUnits(first: 1) { nodes { name }",
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.cost()["requestedQueryCost"], 0);
    assert!(available(&answer) >= before);
    let answer = ask(
        &app,
        Some(&token),
        "{ adminUnits(first: 1) { nodes { nope } } }",
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.cost()["actualQueryCost"],
        0,
        "priced, then refused and refunded"
    );
    assert!(available(&answer) >= before);
}

async fn with_budgets_off_nothing_is_charged_or_throttled(app: TestApp) {
    for _ in 0..5 {
        let answer = ask(&app, None, TWENTY_UNITS).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert!(answer.body.get("extensions").is_none(), "{}", answer.body);
        assert_eq!(answer.header("ratelimit"), "");
        assert_eq!(answer.header("ratelimit-policy"), "");
    }
    let answer = ask(&app, None, "{ rateLimit { remaining } }").await;
    assert_eq!(
        answer.body["data"]["rateLimit"],
        Value::Null,
        "{}",
        answer.body
    );
    // The most one query may cost still holds.
    let answer = ask(
        &app,
        None,
        "{ adminUnits(first: 100) { nodes { children { children { name } } } } }",
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(
        answer.body["errors"][0]["extensions"]["code"],
        "QUERY_TOO_COSTLY"
    );
}

/// 21 points: a page of 20 units, which the demo district always fills.
const TWENTY_UNITS: &str = "query TwentyUnits { adminUnits(first: 20) { nodes { name } } }";

async fn a_client_that_empties_its_bucket_is_throttled_until_it_refills(app: TestApp) {
    let credentials = new_client(&app, "wishes:read").await;
    let limits = BudgetLimits {
        capacity: Some(50),
        restore_rate: Some(5),
    };
    clients::set_limits(app.db(), &credentials.client_id, limits)
        .await
        .expect("the limits are set");
    let token = issued_token(&app, &credentials).await;

    for _ in 0..2 {
        let answer = ask(&app, Some(&token), TWENTY_UNITS).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.cost()["actualQueryCost"], 21);
    }
    // About 8 points left: not enough for 21, and nothing runs but the check of the token.
    let statements = app.statements();
    let refused = ask(&app, Some(&token), TWENTY_UNITS).await;
    assert_eq!(
        app.statements() - statements,
        1,
        "only the client is looked up"
    );
    assert_eq!(refused.status, 429, "{}", refused.body);
    let error = &refused.body["errors"][0];
    assert_eq!(error["extensions"]["code"], "THROTTLED", "{}", refused.body);
    assert!(refused.body.get("data").is_none());
    let wait: u64 = refused.header("retry-after").parse().expect("Retry-After");
    assert!((1..=3).contains(&wait), "13 points at 5 a second: {wait}");
    let status = &refused.cost()["throttleStatus"];
    assert_eq!(status["maximumAvailable"], 50.0);
    assert_eq!(status["restoreRate"], 5.0);
    assert!(status["currentlyAvailable"].as_u64() < Some(21), "{status}");
    assert!(refused.header("ratelimit").starts_with("\"budget\";r="));

    // A query the bucket could never hold is too costly, not throttled.
    let answer = ask(
        &app,
        Some(&token),
        "{ adminUnits(first: 60) { nodes { name } } }",
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    let extensions = &answer.body["errors"][0]["extensions"];
    assert_eq!(extensions["code"], "QUERY_TOO_COSTLY");
    assert_eq!(extensions["maximumCost"], 50);
    assert_eq!(answer.cost()["requestedQueryCost"], 61);
    // Like every request error, 200 for a client that asks for plain JSON.
    let plain = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("accept", "application/json")
        .bearer_auth(&token)
        .json(&json!({ "query": "{ adminUnits(first: 60) { nodes { name } } }" }))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(plain.status(), 200);
    let plain: Value = plain.json().await.expect("a JSON body");
    assert_eq!(plain["errors"][0]["extensions"]["code"], "QUERY_TOO_COSTLY");

    // Once the bucket has refilled as far as the wait said, the query runs.
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let answer = ask(&app, Some(&token), TWENTY_UNITS).await;
    assert_eq!(answer.status, 200, "{}", answer.body);

    // Another client of the same organisation has a bucket of its own.
    let other = issued_token(&app, &new_client(&app, "wishes:read").await).await;
    assert_eq!(ask(&app, Some(&other), TWENTY_UNITS).await.status, 200);

    // Operators see it all per client: requests by operation, points asked for and spent, the
    // throttle, and the 429 among the HTTP statuses.
    let metrics = app.metrics().await;
    let caller = format!("client:{}", credentials.client_id);
    for line in [
        format!(r#"gongzhi_graphql_requests_total{{caller="{caller}",operation="TwentyUnits"}} 3"#),
        format!(r#"gongzhi_graphql_requested_cost_points_total{{caller="{caller}"}} 63"#),
        format!(r#"gongzhi_graphql_actual_cost_points_total{{caller="{caller}"}} 63"#),
        format!(r#"gongzhi_graphql_throttled_total{{caller="{caller}"}} 1"#),
        r#"gongzhi_http_requests_total{route="/graphql",status="429"} 1"#.to_owned(),
        r#"gongzhi_http_request_duration_seconds_count{route="/graphql"}"#.to_owned(),
        "gongzhi_db_statements_total ".to_owned(),
    ] {
        assert!(metrics.contains(&line), "{line} in {metrics}");
    }
}

/// A list that is not a connection is priced at what it may hold — its `first`, or its declared
/// maximum — and what it did not hold goes back. A field error keeps the price: it may have
/// nulled out work done beside it.
async fn short_lists_are_refunded_and_failed_fields_are_not(app: TestApp) {
    use entities::activity_signup;
    use gongzhi::graphql::lists::ACTIVITY_SIGNUPS;
    use sea_orm::{ColumnTrait, EntityTrait, QueryOrder, QuerySelect};
    let staff = app.staff_token(Role::DistrictStaff, DISTRICT).await;
    let (activity, signups): (i64, i64) = activity_signup::Entity::find()
        .select_only()
        .column(activity_signup::Column::ActivityId)
        .column_as(activity_signup::Column::Id.count(), "signups")
        .group_by(activity_signup::Column::ActivityId)
        .order_by_desc(activity_signup::Column::Id.count())
        .into_tuple()
        .one(app.db())
        .await
        .expect("count sign-ups")
        .expect("an activity with sign-ups");
    assert!(
        (6..100).contains(&signups),
        "the demo's busiest activity has {signups} sign-ups"
    );
    let query = |first: &str| {
        format!(
            r#"{{ node(id: "{}") {{ ... on VolunteerActivity {{ signups{first} {{ id }} }} }} }}"#,
            gongzhi::graphql::ids::global_id("VolunteerActivity", activity).0
        )
    };
    let answer = ask(&app, Some(&staff), &query("")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let cost = answer.cost();
    assert_eq!(
        cost["requestedQueryCost"].as_u64(),
        Some(1 + ACTIVITY_SIGNUPS.max)
    );
    assert_eq!(
        cost["actualQueryCost"].as_i64(),
        Some(1 + signups),
        "{cost}"
    );
    let answer = ask(&app, Some(&staff), &query("(first: 2)")).await;
    let cost = answer.cost();
    assert_eq!(
        (
            cost["requestedQueryCost"].as_u64(),
            cost["actualQueryCost"].as_u64()
        ),
        (Some(3), Some(3)),
        "{cost}"
    );

    // `first: 101` fails when the field runs, after its sibling did its work.
    let failing =
        "{ adminUnits(first: 20) { nodes { name } } organizations(first: 101) { totalCount } }";
    let answer = ask(&app, Some(&staff), failing).await;
    assert!(answer.body["errors"].is_array(), "{}", answer.body);
    let cost = answer.cost();
    assert_eq!(
        cost["actualQueryCost"], cost["requestedQueryCost"],
        "{cost}"
    );
}

async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket(app: TestApp) {
    let query = r#"{ adminUnitByCode(code: "411002") { name } }"#;
    let from = |client: &'static str| {
        app.client
            .post(format!("{}/graphql", app.address))
            .header("x-forwarded-for", client)
            .json(&json!({ "query": query }))
            .send()
    };
    let status = |response: reqwest::Result<reqwest::Response>| {
        response.expect("the server answers").status().as_u16()
    };
    assert_eq!(status(from("203.0.113.5").await), 200);
    assert_eq!(status(from("203.0.113.5").await), 200);
    assert_eq!(
        status(from("203.0.113.5").await),
        429,
        "its bucket of 2 is empty"
    );
    // Another client behind the proxy, and one that claims another address in front of it.
    assert_eq!(status(from("203.0.113.6").await), 200);
    assert_eq!(
        status(from("198.51.100.1, 203.0.113.5").await),
        429,
        "what the client writes before the proxy's entry does not count"
    );
}

async fn anonymous_callers_spend_from_their_address_s_bucket(app: TestApp) {
    let query = r#"{ adminUnitByCode(code: "411002") { name } }"#;
    let started = Instant::now();
    let answers = join_all((0..30).map(|_| ask(&app, None, query))).await;
    let elapsed = started.elapsed().as_secs_f64();
    let granted = answers.iter().filter(|answer| answer.status == 200).count();
    let throttled = answers.iter().filter(|answer| answer.status == 429).count();
    // A bucket of 10 at one point each, and a point more for each second the burst took.
    assert_eq!(granted + throttled, 30);
    assert!(
        granted >= 10 && granted as f64 <= 10.0 + elapsed.ceil(),
        "{granted} granted, {throttled} throttled in {elapsed:.2} s"
    );
    // A signed-in caller from the same address spends from its own.
    let staff = app.staff_token(Role::DistrictStaff, DISTRICT).await;
    assert_eq!(ask(&app, Some(&staff), query).await.status, 200);
}

/// A Redis of its own for one test, on a free port, stopped when dropped.
struct Redis {
    process: std::process::Child,
    port: u16,
}

impl Redis {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let process = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server starts (apt install redis-server)");
        // Dropped (and so stopped) on every way out.
        let redis = Self { process, port };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return redis;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server does not listen on {port}");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Two instances sharing Redis, each caller with a bucket of 10 points restoring 5 a second;
/// two callers hammer both instances for three seconds at one point a request. Together the
/// instances grant each caller what one bucket allows (10 + 5 a second), not twice that. The
/// rate is low enough that even a busy machine answers faster than it.
async fn two_instances_hold_one_budget(backend: Backend) {
    let redis = Redis::start();
    let url = redis.url();
    let apps = TestApp::spawn_together(backend, 2, |config| {
        config.budgets.redis_url = Some(url);
        config.budgets.capacity = 10;
        config.budgets.restore_rate = 5;
    })
    .await;
    let callers = [
        apps[0].staff_token(Role::DistrictStaff, DISTRICT).await,
        apps[0].staff_token(Role::CommunityStaff, QIYI).await,
    ];
    let query = r#"{ adminUnitByCode(code: "411002") { name } }"#;
    let started = Instant::now();
    let hammer = |caller: usize, worker: usize| {
        let (apps, token) = (&apps, &callers[caller]);
        async move {
            let mut granted = 0u32;
            while started.elapsed() < Duration::from_secs(3) {
                let app = &apps[worker % 2];
                match ask(app, Some(token), query).await.status {
                    200 => granted += 1,
                    429 => {}
                    status => panic!("unexpected status {status}"),
                }
            }
            granted
        }
    };
    let workers = (0..2).flat_map(|caller| (0..4).map(move |worker| (caller, worker)));
    let granted: Vec<u32> = join_all(workers.map(|(caller, worker)| hammer(caller, worker))).await;
    let elapsed = started.elapsed().as_secs_f64();
    let allowed = 10.0 + 5.0 * elapsed;
    for caller in 0..2 {
        let total: u32 = granted[caller * 4..caller * 4 + 4].iter().sum();
        let ratio = f64::from(total) / allowed;
        assert!(
            (0.9..=1.1).contains(&ratio),
            "caller {caller}: {total} granted against {allowed:.0} allowed in {elapsed:.2} s"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_hold_one_budget_sqlite() {
    two_instances_hold_one_budget(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_hold_one_budget_postgres() {
    two_instances_hold_one_budget(Backend::Postgres).await;
}

/// Redis goes away under an instance: requests go on being answered, from the instance's own
/// buckets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_outage_fails_no_request() {
    let redis = Redis::start();
    let url = redis.url();
    let app = TestApp::spawn_with(Backend::Postgres, |config| {
        config.budgets.redis_url = Some(url);
    })
    .await;
    let staff = app.staff_token(Role::DistrictStaff, DISTRICT).await;
    let query = r#"{ adminUnitByCode(code: "411002") { name } }"#;
    assert_eq!(ask(&app, Some(&staff), query).await.status, 200);
    let keys = std::process::Command::new("redis-cli")
        .args([
            "-p",
            &redis.port.to_string(),
            "--scan",
            "--pattern",
            "gongzhi:budget:*",
        ])
        .output()
        .expect("redis-cli runs");
    assert!(
        !keys.stdout.is_empty(),
        "the bucket is kept in Redis while it answers"
    );
    drop(redis);
    for _ in 0..5 {
        let answer = ask(&app, Some(&staff), query).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert!(answer.cost()["throttleStatus"]["currentlyAvailable"].is_number());
    }
}
