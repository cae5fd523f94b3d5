//! The `gongzhi` command: the server and its tools.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use entities::admin_unit;
use entities::api_client::ApiClientStatus;
use entities::role_grant::Role;
use gongzhi::auth::clients::{self, Credentials, NewClient};
use gongzhi::auth::{Grant, KeySet, PrincipalKind, Subject, TokenService, UnitRef, accounts};
use gongzhi::domain::trusted_documents::{self, DocumentId};
use gongzhi::{Config, db, seed};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

// glibc's allocator spent an eighth of the server's CPU under load (with its arena locks
// contended) and kept freed memory; see bench/RESULTS.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "gongzhi",
    version,
    about = "The Gongzhi community-governance API"
)]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default): migrate, seed the demo district into an empty database, listen.
    Serve,
    /// Apply pending migrations, or roll them all back with --down.
    Migrate {
        /// Roll back every migration instead.
        #[arg(long)]
        down: bool,
    },
    /// Load a data set into an empty, migrated database.
    Seed {
        /// Which data set: the small demo district or the report's full scale.
        #[arg(long, value_enum, default_value = "demo")]
        profile: seed::Profile,
    },
    /// Print the GraphQL schema (SDL), as schema.graphql holds it.
    Schema,
    /// Sign a development access token, to try the API at once.
    Token(TokenArgs),
    /// Manage partners' API clients (OAuth2 client credentials).
    #[command(subcommand)]
    Client(ClientCommand),
    /// Manage login accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Manage API clients' trusted documents (persisted operations).
    #[command(subcommand)]
    Documents(DocumentsCommand),
}

#[derive(Subcommand)]
enum DocumentsCommand {
    /// Register GraphQL documents for a client, each checked against the schema, and print
    /// their ids (`sha256:…`): the client sends `{"documentId": "sha256:…"}` instead of the
    /// text. A `.graphql` file is one document, byte for byte; a `.json` file is a manifest of
    /// several: an object of id → text (graphql-codegen's persisted documents, with SHA-256) or
    /// Apollo's persisted query manifest. Registering a document again changes nothing.
    Push {
        /// The client's id (`gz_…`).
        #[arg(long)]
        client: String,
        /// The files.
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum ClientCommand {
    /// Create a client for an organisation and print its id and secret (shown only this once).
    Create {
        /// The organisation the client acts for: its id in the API (`T3JnYW5pemF0aW9uOjIy`) or
        /// the number inside it (`22`).
        #[arg(long, value_parser = parse_organization)]
        org: i64,
        /// What the client is, to recognise it by.
        #[arg(long)]
        name: String,
        /// The scopes it may ask for, space-separated, e.g. "wishes:read volunteering:read".
        #[arg(long)]
        scopes: String,
        /// The client is a third-party app's (a WeChat mini-program, say), whose credentials
        /// are in users' hands: it runs trusted documents only (see `gongzhi documents push`).
        #[arg(long)]
        app: bool,
    },
    /// Revoke a client for good; its tokens stop working at once.
    Revoke { client_id: String },
    /// Suspend a client; its tokens stop working at once, until it is activated again.
    Suspend { client_id: String },
    /// Activate a suspended client again.
    Activate { client_id: String },
    /// Give a client a traffic budget of its own: the query-cost points its bucket holds (and
    /// so the most one query may cost) and restores a second. A limit left out is the server's
    /// default (`GONGZHI_BUDGET_CAPACITY`, `GONGZHI_BUDGET_RESTORE_RATE`).
    SetLimits {
        client_id: String,
        /// Points the bucket holds.
        #[arg(long, value_parser = clap::value_parser!(i32).range(1..))]
        capacity: Option<i32>,
        /// Points the bucket restores a second.
        #[arg(long, value_parser = clap::value_parser!(i32).range(1..))]
        restore_rate: Option<i32>,
    },
    /// Let a client run only its trusted documents (`true`), or any document (`false`).
    SetTrustedDocumentsOnly {
        client_id: String,
        #[arg(action = clap::ArgAction::Set)]
        only: bool,
    },
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Set an account's password, read as one line from standard input.
    Password { username: String },
}

#[derive(clap::Args)]
struct TokenArgs {
    /// A role to grant: district_staff, subdistrict_staff, community_staff, grid_staff,
    /// department_handler, org_admin or party_unit_admin.
    #[arg(long, value_parser = parse_role)]
    role: Option<Role>,
    /// The code of the unit where the role is held (staff roles).
    #[arg(long)]
    unit: Option<String>,
    /// The organisation the caller acts for: its id in the API or the number inside it.
    #[arg(long, value_parser = parse_organization)]
    org: Option<i64>,
    /// The person the caller is (their id in the API or the number inside it); without --role,
    /// a token for that person.
    #[arg(long, value_parser = parse_person)]
    person: Option<i64>,
    /// OAuth2 scopes to include.
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// Lifetime in seconds.
    #[arg(long, default_value_t = 86_400)]
    ttl: u64,
}

fn parse_role(text: &str) -> Result<Role, String> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| format!("unknown role `{text}`"))
}

fn parse_organization(text: &str) -> Result<i64, String> {
    parse_row_id(text, "Organization")
}

fn parse_person(text: &str) -> Result<i64, String> {
    parse_row_id(text, "Person")
}

/// A row id given as the number itself or as the API's global id of a `type_name`, so ids
/// copied from a query's answer work on the command line as they are.
fn parse_row_id(text: &str, type_name: &str) -> Result<i64, String> {
    if let Ok(id) = text.parse() {
        return Ok(id);
    }
    match gongzhi::graphql::ids::decode(&async_graphql::ID::from(text)) {
        Ok((name, id)) if name == type_name => Ok(id),
        _ => Err(format!(
            "`{text}` is neither a number nor the id of a {type_name}"
        )),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // A local .env file is a convenience for development; the environment itself wins.
    dotenvy::dotenv().ok();
    let cli = Cli::parse();
    let config = cli.config;
    let command = cli.command.unwrap_or(Command::Serve);
    // The server logs to standard output, as a service manager collects it; the tools print
    // their answer there (`TOKEN=$(gongzhi token …)`), so their logs go to standard error.
    let subscriber = if matches!(command, Command::Serve) {
        let ansi = std::io::stdout().is_terminal();
        gongzhi::telemetry::subscriber(config.server.log_format, ansi, std::io::stdout)
    } else {
        let ansi = std::io::stderr().is_terminal();
        gongzhi::telemetry::subscriber(config.server.log_format, ansi, std::io::stderr)
    };
    tracing::subscriber::set_global_default(subscriber).context("set up logging")?;
    match command {
        Command::Serve => serve(config).await,
        Command::Migrate { down } => migrate(&config, down).await,
        Command::Seed { profile } => seed_profile(&config, profile).await,
        Command::Schema => {
            print!("{}", gongzhi::graphql::sdl(&gongzhi::build_schema(&config)));
            Ok(())
        }
        Command::Token(args) => token(&config, args).await,
        Command::Client(command) => client(&config, command).await,
        Command::Account(AccountCommand::Password { username }) => {
            password(&config, &username).await
        }
        Command::Documents(DocumentsCommand::Push { client, files }) => {
            push_documents(&config, &client, &files).await
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let state = gongzhi::prepare(&config).await.context("cannot start")?;
    if config.wishes.sweep_interval_secs > 0 {
        gongzhi::spawn_sweeper(
            state.db.clone(),
            Duration::from_secs(config.wishes.sweep_interval_secs),
        );
    }
    let listener = tokio::net::TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, "listening");
    println!("Gongzhi is serving GraphiQL at http://{address}/graphql");
    gongzhi::http::serve(
        listener,
        gongzhi::app(state),
        config.server.clone(),
        shutdown_signal(),
    )
    .await;
    tracing::info!("stopped");
    Ok(())
}

async fn migrate(config: &Config, down: bool) -> anyhow::Result<()> {
    use migration::{Migrator, MigratorTrait};
    let db = db::connect(&config.database, &Default::default()).await?;
    let lock = db::StartupLock::acquire(&config.database).await?;
    if down {
        Migrator::down(&db, None).await?;
        println!("rolled back every migration");
    } else {
        db::migrate(&db).await?;
        println!("the database schema is up to date");
    }
    lock.release().await;
    Ok(())
}

async fn seed_profile(config: &Config, profile: seed::Profile) -> anyhow::Result<()> {
    let db = db::connect(&config.database, &Default::default()).await?;
    let lock = db::StartupLock::acquire(&config.database).await?;
    db::migrate(&db).await?;
    let started = std::time::Instant::now();
    let report = seed::seed(&db, profile, true).await?;
    lock.release().await;
    for (table, rows) in &report.rows {
        println!("{table:>24} {rows:>9}");
    }
    println!(
        "seeded {profile:?} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn token(config: &Config, args: TokenArgs) -> anyhow::Result<()> {
    let unit = match &args.unit {
        Some(code) => {
            let db = db::connect(&config.database, &Default::default()).await?;
            let unit = admin_unit::Entity::find()
                .filter(admin_unit::Column::Code.eq(code.as_str()))
                .one(&db)
                .await?
                .with_context(|| format!("no unit has the code {code}"))?;
            Some(UnitRef {
                id: unit.id,
                path: unit.path,
            })
        }
        None => None,
    };
    let kind = match (args.role, args.person, args.org) {
        (Some(_), _, _) => PrincipalKind::Staff,
        (None, Some(_), _) => PrincipalKind::Person,
        (None, None, Some(_)) => PrincipalKind::Client,
        (None, None, None) => anyhow::bail!(
            "say who the token is for: --role (with --unit or --org), --person or --org"
        ),
    };
    let grants = args
        .role
        .map(|role| Grant {
            role,
            unit,
            org: args.org,
        })
        .into_iter()
        .collect();
    let subject = Subject {
        sub: format!("dev:{}", uuid::Uuid::now_v7()),
        kind,
        org: args.org,
        person: args.person,
        grants,
        scopes: args.scopes,
    };
    let tokens = TokenService::new(
        KeySet::load(&config.tokens, &config.server.data_dir)?,
        &config.tokens,
    );
    let (token, _) = tokens.issue(subject, Some(Duration::from_secs(args.ttl)));
    println!("{token}");
    Ok(())
}

async fn client(config: &Config, command: ClientCommand) -> anyhow::Result<()> {
    let db = db::connect(&config.database, &Default::default()).await?;
    let (client_id, status, now) = match command {
        ClientCommand::Create {
            org,
            name,
            scopes,
            app,
        } => {
            let new = NewClient {
                organization_id: org,
                name,
                scopes,
                trusted_documents_only: app,
            };
            let Credentials { client_id, secret } = clients::create(&db, new).await?;
            println!("client_id:     {client_id}");
            println!("client_secret: {secret}");
            println!("Keep the secret now: it is not shown again. To get a token:");
            println!(
                "curl -s -u '{client_id}:{secret}' -d grant_type=client_credentials http://{}/oauth/token",
                config.server.listen
            );
            return Ok(());
        }
        ClientCommand::Revoke { client_id } => (client_id, ApiClientStatus::Revoked, "revoked"),
        ClientCommand::Suspend { client_id } => {
            (client_id, ApiClientStatus::Suspended, "suspended")
        }
        ClientCommand::Activate { client_id } => (client_id, ApiClientStatus::Active, "active"),
        ClientCommand::SetLimits {
            client_id,
            capacity,
            restore_rate,
        } => {
            let limits = clients::BudgetLimits {
                capacity,
                restore_rate,
            };
            clients::set_limits(&db, &client_id, limits).await?;
            let shown =
                |limit: Option<i32>| limit.map_or("the default".to_owned(), |n| n.to_string());
            println!(
                "client {client_id}: a bucket of {} points, restoring {} a second",
                shown(capacity),
                shown(restore_rate)
            );
            return Ok(());
        }
        ClientCommand::SetTrustedDocumentsOnly { client_id, only } => {
            clients::set_trusted_documents_only(&db, &client_id, only).await?;
            let runs = if only {
                "runs trusted documents only"
            } else {
                "runs any document"
            };
            println!("client {client_id} {runs}");
            return Ok(());
        }
    };
    clients::set_status(&db, &client_id, status).await?;
    println!("client {client_id} is {now}");
    Ok(())
}

async fn push_documents(
    config: &Config,
    client_id: &str,
    files: &[std::path::PathBuf],
) -> anyhow::Result<()> {
    let validator = gongzhi::validator(config);
    let mut documents = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let is_manifest = file
            .extension()
            .is_some_and(|extension| extension == "json");
        let found = if is_manifest {
            manifest_documents(&text).with_context(|| format!("{}", file.display()))?
        } else {
            vec![text]
        };
        for text in found {
            let problems = validator.problems(&text).await;
            if let Some(problem) = problems.first() {
                anyhow::bail!(
                    "{}: {} is not valid: {}",
                    file.display(),
                    DocumentId::of(&text),
                    problem.message
                );
            }
            documents.push(text);
        }
    }
    let db = db::connect(&config.database, &Default::default()).await?;
    let db = gongzhi::domain::transaction::Db::Pool(db);
    let mut registered = 0;
    for chunk in documents.chunks(trusted_documents::MAX_PER_CALL) {
        let outcome = trusted_documents::register_as_operator(&db, client_id, chunk).await?;
        if let Some(refusal) = outcome.refusals.first() {
            anyhow::bail!("client {client_id}: {refusal}");
        }
        for document in outcome.changed.unwrap_or_default() {
            println!("{}", document.document_id);
            registered += 1;
        }
    }
    println!(
        "client {client_id}: {registered} trusted documents registered (new or already there)"
    );
    Ok(())
}

/// The documents of a manifest: an object of id → text (graphql-codegen's persisted documents),
/// or Apollo's `{"format": "apollo-persisted-query-manifest", "operations": [{"id", "body"}…]}`.
/// Each id must be the SHA-256 of its text, or the app would send an id Gongzhi does not know.
fn manifest_documents(manifest: &str) -> anyhow::Result<Vec<String>> {
    let manifest: serde_json::Value =
        serde_json::from_str(manifest).context("not a JSON manifest")?;
    let entries: Vec<(String, String)> = match manifest.get("operations") {
        Some(operations) => operations
            .as_array()
            .context("`operations` is not a list")?
            .iter()
            .map(|operation| {
                let field = |name: &str| operation.get(name).and_then(|value| value.as_str());
                Some((field("id")?.to_owned(), field("body")?.to_owned()))
            })
            .collect::<Option<_>>()
            .context("an operation without a string `id` and `body`")?,
        None => manifest
            .as_object()
            .context("neither an object of id → text nor Apollo's manifest")?
            .iter()
            .map(|(id, text)| Some((id.clone(), text.as_str()?.to_owned())))
            .collect::<Option<_>>()
            .context("a document that is not a string")?,
    };
    entries
        .into_iter()
        .map(|(id, text)| {
            let expected = DocumentId::of(&text);
            let given = DocumentId::parse(&id).or_else(|| DocumentId::from_hex(&id));
            anyhow::ensure!(
                given == Some(expected),
                "`{id}` is not the SHA-256 of its text ({expected}): generate the manifest with \
                 SHA-256"
            );
            Ok(text)
        })
        .collect()
}

async fn password(config: &Config, username: &str) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        eprint!("new password for {username}: ");
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let db = db::connect(&config.database, &Default::default()).await?;
    accounts::set_password(&db, username, line.trim_end_matches(['\r', '\n'])).await?;
    println!("the password of {username} is set");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM, so in-flight requests finish before the server stops.
async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.ok();
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;

    const WISHES: &str = "{ microWishes { totalCount } }";
    const TYPENAME: &str = "{ __typename }";

    #[test]
    fn manifests_of_either_tool_give_their_documents() {
        let id = |text: &str| DocumentId::of(text).to_string();
        let hex = |text: &str| id(text)["sha256:".len()..].to_owned();
        let codegen = serde_json::json!({ hex(WISHES): WISHES, id(TYPENAME): TYPENAME });
        let found = manifest_documents(&codegen.to_string()).expect("a manifest");
        assert_eq!(found.len(), 2);
        assert!(found.contains(&WISHES.to_owned()) && found.contains(&TYPENAME.to_owned()));
        let apollo = serde_json::json!({
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [{ "id": hex(WISHES), "name": "W", "type": "query", "body": WISHES }],
        });
        let found = manifest_documents(&apollo.to_string()).expect("a manifest");
        assert_eq!(found, [WISHES]);
    }

    #[test]
    fn a_manifest_whose_ids_are_not_sha256_is_refused() {
        let sha1_like = serde_json::json!({ "3f786850e387550fdab836ed7e6dc881de23001b": WISHES });
        let refused = manifest_documents(&sha1_like.to_string()).expect_err("refused");
        assert!(refused.to_string().contains("SHA-256"), "{refused}");
        assert!(manifest_documents("[1, 2]").is_err());
        assert!(manifest_documents(r#"{"operations": [{"id": "x"}]}"#).is_err());
    }
}
