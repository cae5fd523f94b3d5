//! Guessing passwords and client secrets, as an attacker would: each failure is answered later
//! than the last, then attempts from that address are refused with 429 — while the holder,
//! from another address, still signs in at once. Every failure is audited and counted in
//! `/metrics`.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use entities::audit_log;
use gongzhi::seed::DEMO_PASSWORD;
use gongzhi_tests::clients::new_client;
use gongzhi_tests::{TestApp, e2e};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

// Three failures per credential and address, one forgiven a minute.
e2e!(
    configured: |config| {
        config.budgets.sign_in_attempts = 3;
        config.budgets.sign_in_attempt_seconds = 60;
    };
    wrong_passwords_are_slowed_then_refused_while_another_address_signs_in,
    wrong_client_secrets_are_slowed_then_refused_while_another_address_gets_a_token,
    guesses_sent_together_are_counted_together,
);

/// A client whose requests come from `address` (any 127.x.y.z reaches the test server).
fn from(address: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::from(address)))
        .build()
        .expect("a client")
}

/// The status, `Retry-After`, body and time taken of one attempt.
struct Attempt {
    status: u16,
    retry_after: Option<u64>,
    body: Value,
    took: Duration,
}

async fn attempt(request: reqwest::RequestBuilder) -> Attempt {
    let started = Instant::now();
    let response = request.send().await.expect("the server answers");
    let took = started.elapsed();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok()?.parse().ok());
    let body = response.json().await.expect("a JSON body");
    Attempt {
        status,
        retry_after,
        body,
        took,
    }
}

async fn login(app: &TestApp, client: &reqwest::Client, password: &str) -> Attempt {
    let body = json!({ "username": "qiyi.staff", "password": password });
    attempt(
        client
            .post(format!("{}/auth/login", app.address))
            .json(&body),
    )
    .await
}

/// The failures of three wrong attempts, each answered at least a step (200 ms) per failure
/// before it later, and the fourth attempt, refused.
fn assert_slowed_then_refused(failures: &[Attempt], refused: &Attempt, status: u16, error: &str) {
    for (count, failure) in (1u32..).zip(failures) {
        assert_eq!(failure.status, status, "{}", failure.body);
        assert_eq!(failure.body["error"], error);
        assert!(
            failure.took >= Duration::from_millis(200) * count,
            "failure {count} answered after {:?}",
            failure.took
        );
    }
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert_eq!(refused.body["error"], "slow_down");
    assert!(
        refused
            .retry_after
            .is_some_and(|seconds| (1..=60).contains(&seconds)),
        "Retry-After: {:?}",
        refused.retry_after
    );
}

/// The failed sign-ins the audit log holds for `credential`, and what `/metrics` counts.
async fn recorded(app: &TestApp, credential: &str) -> (u64, String) {
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("sign_in_failed"))
        .filter(audit_log::Column::EntityType.eq(credential))
        .count(app.db())
        .await
        .expect("count audit records");
    let metrics = app.metrics().await;
    (audited, metrics)
}

async fn wrong_passwords_are_slowed_then_refused_while_another_address_signs_in(app: TestApp) {
    let attacker = from([127, 0, 0, 1]);
    let mut failures = Vec::new();
    for _ in 0..3 {
        failures.push(login(&app, &attacker, "not-the-password").await);
    }
    // The right password no longer helps from there.
    let refused = login(&app, &attacker, DEMO_PASSWORD).await;
    assert_slowed_then_refused(&failures, &refused, 400, "invalid_grant");

    // The holder, elsewhere, signs in at once.
    let holder = login(&app, &from([127, 0, 0, 2]), DEMO_PASSWORD).await;
    assert_eq!(holder.status, 200, "{}", holder.body);

    let (audited, metrics) = recorded(&app, "account").await;
    assert_eq!(audited, 3);
    assert!(
        metrics.contains(r#"gongzhi_failed_sign_ins_total{credential="account"} 3"#),
        "{metrics}"
    );
}

async fn wrong_client_secrets_are_slowed_then_refused_while_another_address_gets_a_token(
    app: TestApp,
) {
    let credentials = new_client(&app, "wishes:read").await;
    let token = |client: &reqwest::Client, secret: &str| {
        client
            .post(format!("{}/oauth/token", app.address))
            .basic_auth(&credentials.client_id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
    };
    let attacker = from([127, 0, 0, 1]);
    let mut failures = Vec::new();
    for _ in 0..3 {
        failures.push(attempt(token(&attacker, "not-the-secret")).await);
    }
    let refused = attempt(token(&attacker, &credentials.secret)).await;
    assert_slowed_then_refused(&failures, &refused, 401, "invalid_client");

    let partner = attempt(token(&from([127, 0, 0, 3]), &credentials.secret)).await;
    assert_eq!(partner.status, 200, "{}", partner.body);

    let (audited, metrics) = recorded(&app, "api_client").await;
    assert_eq!(audited, 3);
    assert!(
        metrics.contains(r#"gongzhi_failed_sign_ins_total{credential="api_client"} 3"#),
        "{metrics}"
    );
}

/// Twenty guesses at once, the right password among them: only as many are checked as the
/// limit allows, the others are refused before their password is looked at.
async fn guesses_sent_together_are_counted_together(app: TestApp) {
    let attacker = from([127, 0, 0, 4]);
    let guesses = (0..20).map(|guess| {
        let password = if guess == 19 {
            DEMO_PASSWORD.to_owned()
        } else {
            format!("guess-{guess}")
        };
        let attacker = attacker.clone();
        let app = &app;
        async move { login(app, &attacker, &password).await }
    });
    let answers = futures::future::join_all(guesses).await;
    let checked = answers.iter().filter(|answer| answer.status != 429).count();
    assert!(checked <= 3, "{checked} guesses were checked");
    assert!(answers.iter().filter(|answer| answer.status == 429).count() >= 17);
}
