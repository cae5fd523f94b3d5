//! The end-to-end harness: each test gets its own database — a temporary SQLite file, or a
//! PostgreSQL database created for it and dropped after — and the real router served over HTTP.
//!
//! Write a test once as `async fn name(app: TestApp)` and list it in [`e2e!`]; it then runs on
//! both databases. [`demo`] names what the tests rely on in the demo district, and [`gql`] holds
//! the GraphQL helpers they share.

use std::time::Duration;

use gongzhi::auth::{Grant, PrincipalKind, Scope, Subject, UnitRef};
use gongzhi::{AppState, Config};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::{Value, json};

pub use entities::role_grant::Role;

pub mod clients;
pub mod cluster;
pub mod demo;
pub mod gql;

/// Installs the npm packages of the folder `dir` of this crate (pinned by its lock file) unless
/// `package` is there already; once per run, the tests that need it waiting for each other.
pub fn install_node_packages(dir: &str, package: &str) -> std::path::PathBuf {
    static INSTALLED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut installed = INSTALLED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !installed.iter().any(|done| done == dir)
        && !path.join("node_modules").join(package).exists()
    {
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&path)
            .status()
            .expect("npm is installed");
        assert!(status.success(), "npm ci failed in {}", path.display());
    }
    installed.push(dir.to_owned());
    path
}

/// PostgreSQL server the suite creates its databases in.
pub fn postgres_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running server on a database of its own.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    pub backend: Backend,
    pub config: Config,
    pub state: AppState,
    pub client: reqwest::Client,
    /// The database this app created and drops; `None` on a second instance.
    postgres_database: Option<String>,
    /// The signing key and the SQLite file, shared with a second instance.
    _data_dir: std::sync::Arc<tempfile::TempDir>,
}

impl TestApp {
    /// Creates a fresh database, migrates it, loads the demo district and serves the API on a
    /// free port. Panics (failing the test) when the database cannot be had: a test never
    /// silently skips.
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like [`TestApp::spawn`], on a server whose configuration `configure` changes first, e.g.
    /// `|config| config.wishes.max_open_claims = 1`. Either way the environment plays no part:
    /// the configuration starts from the defaults.
    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_together(backend, 1, configure)
            .await
            .pop()
            .expect("one instance")
    }

    /// `count` instances started at the same moment on one new, empty database, as a rolling
    /// deploy starts them: each migrates and, finding the database empty, loads the demo
    /// district. The first owns the database.
    pub async fn spawn_together(
        backend: Backend,
        count: usize,
        configure: impl FnOnce(&mut Config),
    ) -> Vec<Self> {
        // `RUST_LOG=gongzhi::db=trace cargo test …` shows each test's server log and statements.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let data_dir = std::sync::Arc::new(tempfile::tempdir().expect("a temporary directory"));
        let (database_url, postgres_database) = match backend {
            Backend::Sqlite => (
                format!(
                    "sqlite://{}?mode=rwc",
                    data_dir.path().join("gongzhi.db").display()
                ),
                None,
            ),
            Backend::Postgres => {
                let name = format!("gongzhi_test_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(postgres_url()).await.unwrap_or_else(|err| {
                    panic!("PostgreSQL does not answer at {} ({err}); start it or set TEST_POSTGRES_URL", postgres_url())
                });
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create the test database");
                admin.close().await.ok();
                (database_url_for(&name), Some(name))
            }
        };
        let mut config = test_config(database_url, data_dir.path());
        configure(&mut config);
        let states = futures::future::join_all((0..count).map(|_| gongzhi::prepare(&config))).await;
        let mut apps = Vec::with_capacity(count);
        for (index, state) in states.into_iter().enumerate() {
            let state = state.unwrap_or_else(|err| panic!("instance {index} prepares: {err}"));
            let owned = postgres_database.clone().filter(|_| index == 0);
            let app = Self::serving(state, backend, config.clone(), owned, data_dir.clone());
            apps.push(app.await);
        }
        apps
    }

    /// A server on the database at `database_url`, which the caller owns (a throwaway
    /// cluster's, say): migrated and seeded like any other, never dropped by the app.
    pub async fn spawn_on(database_url: String, configure: impl FnOnce(&mut Config)) -> Self {
        let data_dir = std::sync::Arc::new(tempfile::tempdir().expect("a temporary directory"));
        let mut config = test_config(database_url, data_dir.path());
        configure(&mut config);
        let state = gongzhi::prepare(&config)
            .await
            .expect("the server prepares");
        Self::serving(state, Backend::Postgres, config, None, data_dir).await
    }

    /// A second server on this one's database, with the same configuration and signing key, as
    /// a second instance of a deployment: a connection pool and schema of its own. Race tests
    /// split their calls between the two, so that a rule is shown to hold across instances, not
    /// only inside one process.
    pub async fn another_instance(&self) -> TestApp {
        let state = gongzhi::prepare(&self.config)
            .await
            .expect("the second instance prepares");
        let data_dir = self._data_dir.clone();
        Self::serving(state, self.backend, self.config.clone(), None, data_dir).await
    }

    /// Serves `state` on a free port, as the server does.
    async fn serving(
        state: AppState,
        backend: Backend,
        config: Config,
        postgres_database: Option<String>,
        data_dir: std::sync::Arc<tempfile::TempDir>,
    ) -> Self {
        TestApp {
            address: serve(state.clone(), &config).await,
            backend,
            config,
            state,
            client: reqwest::Client::new(),
            postgres_database,
            _data_dir: data_dir,
        }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.state.db
    }

    /// Posts a GraphQL request, anonymously or with `token`, and returns the HTTP status and
    /// the JSON body.
    pub async fn post(&self, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
        self.post_body(token, json!({ "query": query, "variables": variables }))
            .await
    }

    /// Posts a GraphQL-over-HTTP body as it is (a `documentId`, `extensions`, …), anonymously
    /// or with `token`, and returns the HTTP status and the JSON body.
    pub async fn post_body(&self, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .header("accept", "application/graphql-response+json")
            .json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON body"))
    }

    /// Runs a query anonymously and returns its `data`, failing on any error.
    pub async fn query(&self, query: &str, variables: Value) -> Value {
        self.query_as(None, query, variables).await
    }

    /// Runs a query with `token` and returns its `data`, failing on any error.
    pub async fn query_as(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let (status, body) = self.post(token, query, variables).await;
        assert_eq!(status, 200, "unexpected status; body: {body}");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// The errors of a request that is expected to fail, with the HTTP status.
    pub async fn errors(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (u16, Vec<Value>) {
        let (status, body) = self.post(token, query, variables).await;
        let errors = body["errors"].as_array().cloned().unwrap_or_default();
        assert!(!errors.is_empty(), "expected errors, got {body}");
        (status, errors)
    }

    /// The unit with administrative `code`.
    pub async fn unit_by_code(&self, code: &str) -> entities::admin_unit::Model {
        use entities::admin_unit;
        use sea_orm::ColumnTrait;
        admin_unit::Entity::find()
            .filter(admin_unit::Column::Code.eq(code))
            .one(self.db())
            .await
            .expect("query units")
            .unwrap_or_else(|| panic!("the demo district has a unit {code}"))
    }

    /// A staff token for `role` at the unit with administrative `code`.
    pub async fn staff_token(&self, role: Role, code: &str) -> String {
        let unit = self.unit_by_code(code).await;
        self.token(Subject {
            sub: format!("test:{role:?}"),
            kind: PrincipalKind::Staff,
            org: None,
            person: None,
            grants: vec![Grant {
                role,
                unit: Some(UnitRef {
                    id: unit.id,
                    path: unit.path,
                }),
                org: None,
            }],
            scopes: Vec::new(),
        })
    }

    /// A staff token for `role` (an organisation's administrator) at `organization`.
    pub fn org_admin_token(&self, role: Role, organization: i64) -> String {
        self.token(Subject {
            sub: format!("dev:{role:?}-{organization}"),
            kind: PrincipalKind::Staff,
            org: None,
            person: None,
            grants: vec![Grant {
                role,
                unit: None,
                org: Some(organization),
            }],
            scopes: Vec::new(),
        })
    }

    /// A token of the organisation's API client, with `scopes`.
    pub fn client_token(&self, organization: i64, scopes: &[Scope]) -> String {
        self.token(Subject {
            sub: format!("dev:client-{organization}"),
            kind: PrincipalKind::Client,
            org: Some(organization),
            person: None,
            grants: Vec::new(),
            scopes: scopes
                .iter()
                .map(|scope| scope.as_str().to_owned())
                .collect(),
        })
    }

    /// A signed-in person's token.
    pub fn person_token(&self, person: i64) -> String {
        self.token(Subject {
            sub: format!("dev:person-{person}"),
            kind: PrincipalKind::Person,
            org: None,
            person: Some(person),
            grants: Vec::new(),
            scopes: Vec::new(),
        })
    }

    /// A token signed by this server for `subject`.
    pub fn token(&self, subject: Subject) -> String {
        self.state
            .tokens
            .issue(subject, Some(Duration::from_secs(600)))
            .0
    }

    /// What `/metrics` shows now.
    pub async fn metrics(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.address))
            .send()
            .await
            .expect("the server answers")
            .text()
            .await
            .expect("the metrics")
    }

    /// The number of SQL statements the server has run so far.
    pub fn statements(&self) -> u64 {
        self.state.statements.get()
    }

    /// How many connections the server's pool holds, in use or idle: it grows to the most the
    /// server has used at once, and idle ones stay for minutes.
    pub fn pool_size(&self) -> u32 {
        match self.backend {
            Backend::Sqlite => self.db().get_sqlite_connection_pool().size(),
            Backend::Postgres => self.db().get_postgres_connection_pool().size(),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let Some(name) = self.postgres_database.take() else {
            return;
        };
        // Dropping is async, and this runtime is ending: use a thread with a runtime of its own.
        // FORCE closes the server's pooled connections.
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                if let Ok(admin) = Database::connect(postgres_url()).await {
                    let _ = admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            });
        })
        .join()
        .ok();
    }
}

/// The server's defaults, except budgets that no test exhausts by accident: scenarios send
/// hundreds of requests as one caller from one address within seconds. The budget tests set
/// their own.
fn test_config(database_url: String, data_dir: &std::path::Path) -> Config {
    let mut config = Config::new(database_url, data_dir);
    let budgets = &mut config.budgets;
    (budgets.capacity, budgets.restore_rate) = (1_000_000, 1_000_000);
    (budgets.anonymous_capacity, budgets.anonymous_restore_rate) = (1_000_000, 1_000_000);
    config
}

/// Serves the API of `state` on a free port, as the server does, and returns its address,
/// `http://127.0.0.1:PORT`.
async fn serve(state: AppState, config: &Config) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = format!("http://{}", listener.local_addr().expect("a local address"));
    let app = gongzhi::app(state);
    let settings = config.server.clone();
    tokio::spawn(async move {
        gongzhi::http::serve(listener, app, settings, std::future::pending()).await;
    });
    address
}

fn database_url_for(name: &str) -> String {
    let base = postgres_url();
    match base.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => format!("{base}/{name}"),
    }
}

/// Declares end-to-end tests that run once on SQLite and once on PostgreSQL:
/// `e2e!(anonymous_callers_see_the_public_catalogue, ...);` generates a module per test with a
/// `sqlite` and a `postgres` test calling `async fn name(app: TestApp)`.
///
/// `e2e!(configured: |config| config.wishes.max_open_claims = 1; name, ...);` does the same on
/// a server whose configuration the closure changes first (see [`TestApp::spawn_with`]). The
/// closure is written into each generated module, so it names the test file's own items as
/// `super::item`.
#[macro_export]
macro_rules! e2e {
    (configured: $configure:expr; $($name:ident),* $(,)?) => {
        $(mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::TestApp::spawn_with($crate::Backend::Sqlite, $configure).await;
                super::$name(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = $crate::TestApp::spawn_with($crate::Backend::Postgres, $configure).await;
                super::$name(app).await;
            }
        })*
    };
    ($($name:ident),* $(,)?) => {
        $crate::e2e!(configured: |_| {}; $($name),*);
    };
}
