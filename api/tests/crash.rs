//! A server killed (`kill -9`) in the middle of a 1,000-row bulk registration: the database holds
//! all of the call or none of it, and after a restart a retry with the same idempotency key
//! either replays the result that committed or does the work once — on SQLite and PostgreSQL.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::Utc;
use entities::{member_registration, party_member, person};
use gongzhi::graphql::ids::global_id;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{Value, json};

/// How long the server may take to migrate, load the demo district and become ready.
const START_SECONDS: u64 = 120;
/// 七一社区, where the rows register their members.
const QIYI: &str = "411002001001";

#[tokio::test]
async fn a_bulk_call_killed_midway_leaves_all_or_nothing_and_a_retry_does_it_once_on_sqlite() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("gongzhi.db").display()
    );
    killed_midway(dir.path(), &url).await;
}

#[tokio::test]
async fn a_bulk_call_killed_midway_leaves_all_or_nothing_and_a_retry_does_it_once_on_postgres() {
    let server = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let name = format!("gongzhi_crash_{}", uuid::Uuid::new_v4().simple());
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
    let outcome = tokio::spawn({
        let url = url.clone();
        let dir = dir.path().to_owned();
        async move { killed_midway(&dir, &url).await }
    })
    .await;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .expect("drop the database");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic.into_panic());
    }
}

async fn killed_midway(dir: &Path, database_url: &str) {
    let started = Utc::now();
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let mut server = Server::start(dir, database_url, port);
    let db = Database::connect(database_url)
        .await
        .expect("the database answers");
    let (unit, members) = busiest_unit(&db).await;
    let token = server.command(&[
        "token",
        "--role",
        "party_unit_admin",
        "--org",
        &unit.to_string(),
    ]);
    let qiyi = community(&db).await;
    // A thousand rows, one for each member of the unit, worked through in one transaction.
    let rows: Vec<Value> = members
        .iter()
        .map(|member| {
            json!({
                "memberId": global_id("PartyMember", *member).0,
                "communityId": global_id("AdminUnit", qiyi).0,
            })
        })
        .collect();
    assert_eq!(
        rows.len(),
        1_000,
        "the demo district has a thousand members"
    );
    let body = json!({
        "query": "mutation($unit: ID!, $rows: [BulkMemberRow!]!, $key: String) { \
                  bulkRegisterMembers(input: {unitId: $unit, rows: $rows, idempotencyKey: $key}) { \
                  appliedCount refusedCount } }",
        "variables": { "unit": global_id("Organization", unit).0, "rows": rows, "key": "crash-1" },
    });
    let body_file = dir.join("bulk.json");
    std::fs::write(&body_file, body.to_string()).expect("write the request");

    // The call is sent, and the server killed while it works.
    let mut call = server.post_in_background(&token, &body_file);
    work_begins(&db).await;
    server.kill();
    let _ = call.wait();
    let after_kill = registered_since(&db, &members, started).await;

    // Restarted, the same call with the same key finishes the work, once.
    let server = Server::start(dir, database_url, port);
    let first = server.post(&token, &body_file);
    let applied = first["data"]["bulkRegisterMembers"]["appliedCount"]
        .as_u64()
        .unwrap_or_else(|| panic!("the retry answers: {first}"));
    assert!(applied > 0, "{first}");
    assert!(
        after_kill == 0 || after_kill == applied,
        "the killed call left {after_kill} of its {applied} registrations"
    );
    assert_eq!(registered_since(&db, &members, started).await, applied);
    // And again: the stored result, nothing done twice.
    assert_eq!(server.post(&token, &body_file), first);
    assert_eq!(registered_since(&db, &members, started).await, applied);
}

/// Returns once the server is inside the call's transaction: on PostgreSQL, when one of its
/// sessions has a transaction open; SQLite shows no sessions, so there a moment passes (the call
/// takes several times as long).
async fn work_begins(db: &DatabaseConnection) {
    if db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        tokio::time::sleep(Duration::from_millis(150)).await;
        return;
    }
    let open = "SELECT COUNT(*) AS open FROM pg_stat_activity \
                WHERE datname = current_database() AND pid <> pg_backend_pid() \
                AND xact_start IS NOT NULL AND query ILIKE '%member_registration%'";
    for _ in 0..2_000 {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                open,
            ))
            .await
            .expect("query sessions")
            .expect("a row");
        if row.try_get::<i64>("", "open").expect("a count") > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the server never began the call");
}

/// The organisation with the most Party members, grown to a thousand members (the demo district
/// has fewer), and its members.
async fn busiest_unit(db: &DatabaseConnection) -> (i64, Vec<i64>) {
    let members = party_member::Entity::find()
        .order_by_asc(party_member::Column::Id)
        .all(db)
        .await
        .expect("query members");
    let mut counts = std::collections::HashMap::<i64, usize>::new();
    for member in &members {
        *counts.entry(member.organization_id).or_default() += 1;
    }
    let (unit, _) = counts
        .into_iter()
        .max_by_key(|(unit, count)| (*count, -unit))
        .expect("the demo district has members");
    let mut ids: Vec<i64> = members
        .iter()
        .filter(|member| member.organization_id == unit)
        .map(|member| member.id)
        .collect();
    let next_person = next_id(db, "person").await;
    let next_member = next_id(db, "party_member").await;
    let now = Utc::now();
    let added = (0..1_000 - ids.len() as i64).map(|n| (next_person + n, next_member + n));
    let (people, joined): (Vec<_>, Vec<_>) = added
        .map(|(person, member)| {
            ids.push(member);
            (
                person::ActiveModel {
                    id: Set(person),
                    name: Set(format!("党员{person}")),
                    lives_alone: Set(false),
                    hardship: Set(false),
                    created_at: Set(now),
                    ..Default::default()
                },
                party_member::ActiveModel {
                    id: Set(member),
                    person_id: Set(person),
                    organization_id: Set(unit),
                    serving: Set(true),
                    created_at: Set(now),
                    ..Default::default()
                },
            )
        })
        .unzip();
    person::Entity::insert_many(people)
        .exec(db)
        .await
        .expect("add people");
    party_member::Entity::insert_many(joined)
        .exec(db)
        .await
        .expect("add members");
    (unit, ids)
}

/// The id after the highest of `table`.
async fn next_id(db: &DatabaseConnection, table: &str) -> i64 {
    db.query_one_raw(sea_orm::Statement::from_string(
        db.get_database_backend(),
        format!("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM {table}"),
    ))
    .await
    .expect("query ids")
    .expect("a row")
    .try_get::<i64>("", "next")
    .expect("an id")
}

async fn community(db: &DatabaseConnection) -> i64 {
    entities::admin_unit::Entity::find()
        .filter(entities::admin_unit::Column::Code.eq(QIYI))
        .one(db)
        .await
        .expect("query units")
        .expect("七一社区")
        .id
}

async fn registered_since(
    db: &DatabaseConnection,
    members: &[i64],
    since: chrono::DateTime<Utc>,
) -> u64 {
    member_registration::Entity::find()
        .filter(member_registration::Column::PartyMemberId.is_in(members.iter().copied()))
        .filter(member_registration::Column::CreatedAt.gte(since))
        .select_only()
        .column(member_registration::Column::Id)
        .count(db)
        .await
        .expect("count registrations")
}

/// The `gongzhi` binary serving `database_url` on `port`, killed when dropped.
struct Server {
    child: Child,
    environment: Vec<(&'static str, String)>,
    port: u16,
}

impl Server {
    fn start(dir: &Path, database_url: &str, port: u16) -> Self {
        let environment = vec![
            ("DATABASE_URL", database_url.to_owned()),
            ("GONGZHI_DATA_DIR", dir.display().to_string()),
            ("GONGZHI_LISTEN", format!("127.0.0.1:{port}")),
            ("GONGZHI_SWEEP_INTERVAL", "0".to_owned()),
            ("NO_COLOR", "1".to_owned()),
        ];
        let child = Command::new(env!("CARGO_BIN_EXE_gongzhi"))
            .envs(environment.iter().cloned())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the server starts");
        let server = Self {
            child,
            environment,
            port,
        };
        for _ in 0..START_SECONDS * 2 {
            if server
                .curl(&["-sf", &server.url("/health/ready")])
                .status
                .success()
            {
                return server;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        panic!("the server did not become ready");
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Runs a `gongzhi` command against the same database and returns what it printed.
    fn command(&self, args: &[&str]) -> String {
        let output = Command::new(env!("CARGO_BIN_EXE_gongzhi"))
            .args(args)
            .envs(self.environment.iter().cloned())
            .output()
            .expect("gongzhi runs");
        assert!(output.status.success(), "gongzhi {args:?} failed");
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    fn curl_args(&self, token: &str, body: &Path) -> Vec<String> {
        vec![
            "-s".to_owned(),
            "-H".to_owned(),
            "content-type: application/json".to_owned(),
            "-H".to_owned(),
            format!("authorization: Bearer {token}"),
            "--data-binary".to_owned(),
            format!("@{}", body.display()),
            self.url("/graphql"),
        ]
    }

    fn post_in_background(&self, token: &str, body: &Path) -> Child {
        Command::new("curl")
            .args(self.curl_args(token, body))
            .stdout(Stdio::null())
            .spawn()
            .expect("curl runs")
    }

    fn post(&self, token: &str, body: &Path) -> Value {
        let args = self.curl_args(token, body);
        let output = self.curl(&args.iter().map(String::as_str).collect::<Vec<_>>());
        serde_json::from_slice(&output.stdout).expect("a JSON answer")
    }

    fn curl(&self, args: &[&str]) -> std::process::Output {
        Command::new("curl").args(args).output().expect("curl runs")
    }

    /// `kill -9`: no shutdown, no rollback by the server.
    fn kill(&mut self) {
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
