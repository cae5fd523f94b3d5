//! What the tests that run the `gongzhi` binary share: a PostgreSQL database of their own, a
//! free port, and the server process, stopped however the test ends.

use std::future::Future;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sea_orm::{ConnectionTrait, Database};

/// How long the server may take to migrate, load the demo district and become ready.
const START_SECONDS: u64 = 120;

/// The binary under test.
pub const BINARY: &str = env!("CARGO_BIN_EXE_gongzhi");

/// A port nobody listens on.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// Runs `test` with the URL of a new PostgreSQL database (named `<prefix>_<uuid>`), and drops
/// the database afterwards whether the test passes or not.
pub async fn on_postgres<F, Fut>(prefix: &str, test: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let server = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
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
    let outcome = tokio::spawn(test(url)).await;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .expect("drop the database");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic.into_panic());
    }
}

/// The `gongzhi` binary serving `database_url` on `port` from `dir`, killed when dropped.
pub struct Server {
    child: Child,
    /// What the server runs with; a `gongzhi` command run with it acts on the same database.
    pub environment: Vec<(&'static str, String)>,
    pub port: u16,
}

impl Server {
    /// Starts the server and waits until it is ready.
    pub fn start(dir: &Path, database_url: &str, port: u16) -> Self {
        let environment = vec![
            ("DATABASE_URL", database_url.to_owned()),
            ("GONGZHI_DATA_DIR", dir.display().to_string()),
            ("GONGZHI_LISTEN", format!("127.0.0.1:{port}")),
            // No sweep between the steps of a test.
            ("GONGZHI_SWEEP_INTERVAL", "0".to_owned()),
            ("NO_COLOR", "1".to_owned()),
        ];
        let child = Command::new(BINARY)
            .envs(environment.iter().cloned())
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the server starts");
        let server = Self {
            child,
            environment,
            port,
        };
        let ready = format!("http://127.0.0.1:{port}/health/ready");
        for _ in 0..START_SECONDS * 2 {
            let answered = Command::new("curl")
                .args(["-sf", &ready])
                .output()
                .expect("curl runs");
            if answered.status.success() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        panic!("the server did not become ready");
    }

    /// Kills the server (`kill -9`): no shutdown, no rollback by the server.
    pub fn kill(&mut self) {
        self.child.kill().expect("the server is killed");
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
