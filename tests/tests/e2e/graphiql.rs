//! GraphiQL works with no network: in Debian's Chromium, headless, the page loads from the
//! server alone, its docs pane lists the schema's types, a query typed into it answers, history
//! keeps it, and the page asks nothing of any other host.

use std::path::Path;
use std::process::Command;

use gongzhi_tests::{TestApp, e2e, install_node_packages};
use serde_json::Value;

e2e!(graphiql_works_offline_in_a_browser);

async fn graphiql_works_offline_in_a_browser(app: TestApp) {
    // Debian's `chromium` package, which `.ci/run` installs.
    assert!(
        Path::new("/usr/bin/chromium").exists() || std::env::var_os("CHROMIUM").is_some(),
        "the browser tests need Chromium: `apt-get install chromium`, or set CHROMIUM"
    );
    let dir = install_node_packages("browser", "playwright-core");
    let address = app.address.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("graphiql.mjs")
            .arg(address)
            .current_dir(dir)
            .output()
    })
    .await
    .expect("the browser runs")
    .expect("node is installed");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the browser script failed: {}{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(result["error"], Value::Null, "{result}");
    assert_eq!(result["loaded"], true, "{result}");
    assert_eq!(result["docsListMicroWish"], true, "{result}");
    let answer = result["answer"].as_str().expect("an answer");
    assert!(answer.contains("\"totalCount\""), "{result}");
    assert_eq!(result["history"], true, "{result}");
    assert_eq!(result["outside"], serde_json::json!([]), "{result}");
}
