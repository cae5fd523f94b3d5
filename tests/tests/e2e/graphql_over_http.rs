//! GraphQL over HTTP compliance: the graphql-http server audits (MUST and SHOULD alike, and the
//! MAYs this server chooses to follow) all pass.

use std::process::Command;

use gongzhi_tests::{TestApp, e2e, install_node_packages};
use serde_json::Value;

e2e!(every_graphql_over_http_audit_passes);

async fn every_graphql_over_http_audit_passes(app: TestApp) {
    let audit_dir = install_node_packages("audit", "graphql-http");
    let url = format!("{}/graphql", app.address);
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("audit.mjs")
            .arg(url)
            .current_dir(audit_dir)
            .output()
    })
    .await
    .expect("the audit runs")
    .expect("node is installed");
    assert!(
        output.status.success(),
        "the audit failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert!(results.len() > 40, "the audit ran: {results:?}");
    let failed: Vec<&Value> = results
        .iter()
        .filter(|result| result["status"] != "ok")
        .collect();
    assert!(failed.is_empty(), "audits not passed: {failed:#?}");
}
