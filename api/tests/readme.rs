//! The README's walkthroughs, run as a reader would: every `sh` block after the first (the two
//! commands to build and test), in order, in one `bash` session, against the `gongzhi` binary
//! serving a fresh demo district — on SQLite and on PostgreSQL. A walkthrough passes when every
//! command succeeds and no answer holds an error, an OAuth error or a user error.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{BINARY, Server, free_port, on_postgres};

/// How long the server may take to migrate, load the demo district and answer `/health`.
const START_SECONDS: u32 = 120;

#[tokio::test]
async fn readme_walkthroughs_run_on_sqlite() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("gongzhi.db").display()
    );
    run_walkthroughs(dir.path(), &url);
}

#[tokio::test]
async fn readme_walkthroughs_run_on_postgres() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().to_owned();
    on_postgres("gongzhi_readme", |url| async move {
        run_walkthroughs(&path, &url)
    })
    .await;
}

fn run_walkthroughs(dir: &Path, database_url: &str) {
    let binary = BINARY;
    let mut server = Server::start(dir, database_url, free_port());
    let script = script(&readme(), server.port, binary);
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .envs(server.environment.iter().cloned())
        .current_dir(dir)
        .output()
        .expect("bash runs");
    server.kill();
    let stdout = String::from_utf8_lossy(&stdout);
    let stderr = String::from_utf8_lossy(&stderr);
    let report = format!("--- output:\n{stdout}\n--- errors:\n{stderr}");
    assert!(
        status.success(),
        "a walkthrough failed ({status})\n{report}"
    );
    for refusal in [r#""errors":"#, r#""error":"#, r#""userErrors":[{"#] {
        assert!(
            !stdout.contains(refusal),
            "an answer holds {refusal}\n{report}"
        );
    }
    // The long walkthroughs ran to their end.
    for end in [
        r#""status":"RECORDS_CONFIRMED""#,
        r#""appliedCount":1,"refusedCount":0"#,
        r#""verifyServiceCertificate":{"organization":{"#,
        "PERSISTED_QUERY_NOT_ALLOWED",
    ] {
        assert!(stdout.contains(end), "no answer holds {end}\n{report}");
    }
}

/// The README's `sh` blocks after the first, with the shared definitions pointed at this test's
/// server and binary once the walkthroughs have defined them.
fn script(readme: &str, port: u16, binary: &str) -> String {
    let blocks: Vec<&str> = readme
        .split("```sh\n")
        .skip(2)
        .map(|rest| rest.split("```").next().unwrap_or_default())
        .collect();
    assert!(blocks.len() > 5, "the README has its walkthroughs");
    let mut script = format!(
        "for _ in $(seq {}); do curl -sf http://127.0.0.1:{port}/health >/dev/null && break; sleep 0.5; done\n\
         curl -sf http://127.0.0.1:{port}/health >/dev/null || {{ echo 'the server did not start' >&2; exit 1; }}\n",
        START_SECONDS * 2
    );
    for (index, block) in blocks.iter().enumerate() {
        script.push_str(block);
        if index == 0 {
            assert!(block.contains("gql()"), "the first walkthrough defines gql");
            script.push_str(&format!(
                "API=http://127.0.0.1:{port}\ngongzhi() {{ '{binary}' \"$@\"; }}\n"
            ));
        }
        // Answers end without a newline; one keeps them apart in the output.
        script.push_str("echo\n");
    }
    script
}

fn readme() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()))
}
