//! The README's walkthroughs, run as a reader would: every `sh` block after the first (the two
//! commands to build and test), in order, in one `bash` session, against the `gongzhi` binary
//! serving a fresh demo district — on SQLite and on PostgreSQL. A walkthrough passes when every
//! command succeeds and no answer holds an error, an OAuth error or a user error.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use sea_orm::{ConnectionTrait, Database};

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
    let server = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let name = format!("gongzhi_readme_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(&server)
        .await
        .unwrap_or_else(|err| panic!("PostgreSQL does not answer at {server} ({err})"));
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create the database");
    let url = match server.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("TEST_POSTGRES_URL names no database: {server}"),
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    // Drop the database whether or not the walkthroughs pass.
    let outcome = std::panic::catch_unwind(|| run_walkthroughs(dir.path(), &url));
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .expect("drop the database");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

fn run_walkthroughs(dir: &Path, database_url: &str) {
    let binary = env!("CARGO_BIN_EXE_gongzhi");
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let environment = [
        ("DATABASE_URL", database_url.to_owned()),
        ("GONGZHI_DATA_DIR", dir.display().to_string()),
        ("GONGZHI_LISTEN", format!("127.0.0.1:{port}")),
        // No sweep between the steps of a walkthrough.
        ("GONGZHI_SWEEP_INTERVAL", "0".to_owned()),
        ("NO_COLOR", "1".to_owned()),
    ];
    let server = Server(
        Command::new(binary)
            .envs(environment.iter().cloned())
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the server starts"),
    );
    let script = script(&readme(), port, binary);
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .envs(environment.iter().cloned())
        .current_dir(dir)
        .output()
        .expect("bash runs");
    drop(server);
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

/// The server, stopped when the test ends however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
