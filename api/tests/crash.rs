//! A server killed (`kill -9`) in the middle of a 1,000-row bulk registration: the database holds
//! all of the call or none of it, and after a restart a retry with the same idempotency key
//! either replays the result that committed or does the work once — on SQLite and PostgreSQL.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::Utc;
use common::{BINARY, Server, free_port, on_postgres};
use entities::{member_registration, party_member, person};
use gongzhi::graphql::ids::global_id;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{Value, json};

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
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().to_owned();
    on_postgres("gongzhi_crash", |url| async move {
        killed_midway(&path, &url).await
    })
    .await;
}

async fn killed_midway(dir: &Path, database_url: &str) {
    let started = Utc::now();
    let port = free_port();
    let mut server = Server::start(dir, database_url, port);
    let db = Database::connect(database_url)
        .await
        .expect("the database answers");
    let (unit, members) = busiest_unit(&db).await;
    let token = command(
        &server,
        &[
            "token",
            "--role",
            "party_unit_admin",
            "--org",
            &unit.to_string(),
        ],
    );
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
    let mut call = post_in_background(&server, &token, &body_file);
    work_begins(&db).await;
    server.kill();
    let _ = call.wait();
    let after_kill = registered_since(&db, &members, started).await;

    // Restarted, the same call with the same key finishes the work, once.
    let server = Server::start(dir, database_url, port);
    let first = post(&server, &token, &body_file);
    let applied = first["data"]["bulkRegisterMembers"]["appliedCount"]
        .as_u64()
        .unwrap_or_else(|| panic!("the retry answers: {first}"));
    assert!(applied > 0, "{first}");
    assert!(
        after_kill == 0 || after_kill == applied,
        "the killed call left {after_kill} of its {applied} registrations"
    );
    assert_eq!(registered_since(&db, &members, started).await, applied);
    // And again: the stored result, nothing done twice (only the budget the answer reports
    // has moved on).
    assert_eq!(post(&server, &token, &body_file)["data"], first["data"]);
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

/// Runs a `gongzhi` command against the server's database and returns what it printed.
fn command(server: &Server, args: &[&str]) -> String {
    let output = Command::new(BINARY)
        .args(args)
        .envs(server.environment.iter().cloned())
        .output()
        .expect("gongzhi runs");
    assert!(output.status.success(), "gongzhi {args:?} failed");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// curl posting the JSON in `body` to the server's `/graphql` with `token`.
fn curl(server: &Server, token: &str, body: &Path) -> Command {
    let mut curl = Command::new("curl");
    curl.args(["-s", "-H", "content-type: application/json", "-H"])
        .arg(format!("authorization: Bearer {token}"))
        .arg("--data-binary")
        .arg(format!("@{}", body.display()))
        .arg(format!("http://127.0.0.1:{}/graphql", server.port));
    curl
}

fn post_in_background(server: &Server, token: &str, body: &Path) -> Child {
    curl(server, token, body)
        .stdout(Stdio::null())
        .spawn()
        .expect("curl runs")
}

fn post(server: &Server, token: &str, body: &Path) -> Value {
    let output = curl(server, token, body).output().expect("curl runs");
    serde_json::from_slice(&output.stdout).expect("a JSON answer")
}
