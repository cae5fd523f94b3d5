//! Rolled-up figures are computed once per database snapshot: a burst of identical reads costs
//! the database one computation, and a read after a write always sees the write.

use futures::future::join_all;
use gongzhi_tests::cluster::Cluster;
use gongzhi_tests::demo::{DISTRICT, QIYI, qiyi_resident};
use gongzhi_tests::gql::mutate;
use gongzhi_tests::{TestApp, e2e};
use serde_json::{Value, json};

e2e!(figures_follow_every_write);

const FIGURES: &str = r#"query($code: String!) { adminUnitByCode(code: $code) {
    wishStatistics { total byStatus { status count } }
    registrationStatistics { memberRegistrationsByStatus { status count } }
} }"#;

/// The unit's figures, as the API serves them.
async fn figures(app: &TestApp, code: &str) -> Value {
    app.query(FIGURES, json!({ "code": code })).await["adminUnitByCode"].clone()
}

/// How many of the unit's wishes are in `status`, by its figures.
fn wishes_in(figures: &Value, status: &str) -> u64 {
    figures["wishStatistics"]["byStatus"]
        .as_array()
        .expect("counts by status")
        .iter()
        .find(|count| count["status"] == status)
        .map_or(0, |count| count["count"].as_u64().expect("a count"))
}

/// A resident of 七一 submits a wish: one committed write the figures count.
async fn submit_wish(app: &TestApp, resident: &str) {
    let payload = mutate(
        app,
        resident,
        "mutation($input: SubmitMicroWishInput!) { submitMicroWish(input: $input) { \
         wish { status } userErrors { code } } }",
        json!({ "input": {
            "title": "修理窗户",
            "description": "卧室的窗户关不严，冬天漏风。",
            "category": "HOME_REPAIR",
            "estimatedValueCents": 15000,
            "deadline": (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339(),
        } }),
    )
    .await;
    assert_eq!(payload["wish"]["status"], "SUBMITTED", "{payload}");
}

async fn figures_follow_every_write(app: TestApp) {
    let (_, resident) = qiyi_resident(&app).await;
    let before = [figures(&app, DISTRICT).await, figures(&app, QIYI).await];
    // Read again: the same figures, from the same snapshot.
    assert_eq!(
        [figures(&app, DISTRICT).await, figures(&app, QIYI).await],
        before
    );
    submit_wish(&app, &resident).await;
    for (code, before) in [DISTRICT, QIYI].into_iter().zip(&before) {
        let after = figures(&app, code).await;
        assert_eq!(
            after["wishStatistics"]["total"].as_u64(),
            before["wishStatistics"]["total"].as_u64().map(|n| n + 1),
            "{code}: {after}"
        );
        assert_eq!(
            wishes_in(&after, "SUBMITTED"),
            wishes_in(before, "SUBMITTED") + 1,
            "{code}: {after}"
        );
    }
}

/// On a PostgreSQL cluster of its own, where nothing else writes (another test's writes in
/// another database would make a new snapshot too): twenty concurrent reads of the same
/// figures compute them once, and a read that finds them computed runs no statement of theirs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_identical_reads_computes_the_figures_once() {
    let cluster = Cluster::create();
    let app = TestApp::spawn_on(cluster.url(), |_| {}).await;
    let (_, resident) = qiyi_resident(&app).await;

    let statements = app.statements();
    let first = figures(&app, DISTRICT).await;
    let computing = app.statements() - statements;
    let statements = app.statements();
    assert_eq!(figures(&app, DISTRICT).await, first);
    let remembered = app.statements() - statements;
    // The unit, the snapshot's name, and the transaction around them; the figures are three
    // statements (two of wishes, five of registrations).
    assert_eq!(
        computing - remembered,
        7,
        "computing {computing}, remembered {remembered}"
    );

    submit_wish(&app, &resident).await;
    let statements = app.statements();
    let burst = join_all((0..20).map(|_| figures(&app, DISTRICT))).await;
    assert_eq!(
        app.statements() - statements,
        computing + 19 * remembered,
        "one computation for twenty reads"
    );
    let expected = first["wishStatistics"]["total"].as_u64().map(|n| n + 1);
    assert!(
        burst
            .iter()
            .all(|after| after["wishStatistics"]["total"].as_u64() == expected),
        "every read sees the write: {burst:?}"
    );
}
