//! Settings, read once from the environment (or the command line) with working defaults, in one
//! group per concern. Nothing else in the crate reads the environment; the composition root
//! (`lib.rs`) turns the groups into the domain's rules.
//!
//! Every setting is an environment variable and a command-line flag of the same name
//! (`gongzhi --help` lists them by group); the README's settings table lists them all, and a
//! test keeps it so.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, CommandFactory, FromArgMatches, Parser};

/// Where the embedded database lives when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/gongzhi.db?mode=rwc";

/// All settings, by concern.
#[derive(Debug, Clone, Args)]
pub struct Config {
    #[command(flatten, next_help_heading = "Server")]
    pub server: ServerSettings,
    #[command(flatten, next_help_heading = "Database")]
    pub database: DatabaseSettings,
    #[command(flatten, next_help_heading = "Tokens")]
    pub tokens: TokenSettings,
    #[command(flatten, next_help_heading = "Micro-wishes")]
    pub wishes: WishSettings,
    #[command(flatten, next_help_heading = "Volunteering")]
    pub volunteering: VolunteeringSettings,
    #[command(flatten, next_help_heading = "Mutations")]
    pub mutations: MutationSettings,
    #[command(flatten, next_help_heading = "Query limits")]
    pub query_limits: QueryLimits,
    #[command(flatten, next_help_heading = "Traffic budgets")]
    pub budgets: BudgetSettings,
}

/// The HTTP server and its files.
#[derive(Debug, Clone, Args)]
pub struct ServerSettings {
    /// Address the HTTP server listens on.
    #[arg(
        long = "listen",
        env = "GONGZHI_LISTEN",
        default_value = "127.0.0.1:8000"
    )]
    pub listen: SocketAddr,

    /// Directory for the server's own files: the generated signing key (and the SQLite file,
    /// with the default `DATABASE_URL`).
    #[arg(long = "data-dir", env = "GONGZHI_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Origins (comma-separated, such as `https://app.example.cn`) whose browser apps may call
    /// the API; none by default. Credentials (cookies) are never allowed across origins.
    #[arg(
        long = "cors-origins",
        env = "GONGZHI_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,

    /// Proxies in front of the server (comma-separated addresses or CIDR ranges, such as
    /// `10.0.0.0/8`) whose `X-Forwarded-For` names the client's address: the budgets of
    /// anonymous callers and the limits on failed sign-ins are kept by that address. None by
    /// default: the connection's peer is the client, and `X-Forwarded-For` is ignored.
    #[arg(
        long = "trusted-proxies",
        env = "GONGZHI_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// How the server logs: `text` (coloured only on a terminal) or `json`, one object a line
    /// with the request's id.
    #[arg(long = "log-format", env = "GONGZHI_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Seconds a client has to send a request's headers; also how long a kept-alive
    /// connection may sit idle between requests. The connection is closed after.
    #[arg(
        long = "header-timeout-secs",
        env = "GONGZHI_HEADER_TIMEOUT",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub header_timeout_secs: u64,

    /// Seconds a client has to send a request's whole body, from its headers on; slower is a
    /// 408 (`BAD_USER_INPUT`).
    #[arg(
        long = "body-timeout-secs",
        env = "GONGZHI_BODY_TIMEOUT",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub body_timeout_secs: u64,

    /// Connections served at once; more wait to be accepted until one closes.
    #[arg(
        long = "max-connections",
        env = "GONGZHI_MAX_CONNECTIONS",
        default_value_t = 1024,
        value_parser = clap::value_parser!(u64).range(1..=1_000_000)
    )]
    pub max_client_connections: u64,

    /// Seconds requests in flight may take to finish once the server is asked to stop
    /// (SIGTERM, Ctrl-C); it stops taking new ones at once and exits after this at the latest.
    #[arg(
        long = "shutdown-grace-secs",
        env = "GONGZHI_SHUTDOWN_GRACE",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(0..=3600)
    )]
    pub shutdown_grace_secs: u64,

    /// Load the demo district into an empty database at start-up.
    #[arg(
        long = "seed-demo",
        env = "GONGZHI_SEED_DEMO",
        default_value_t = true,
        action = clap::ArgAction::Set
    )]
    pub seed_demo: bool,
}

/// How the server logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Lines for people; coloured on a terminal.
    Text,
    /// One JSON object a line, with the fields of the spans it happened in.
    Json,
}

/// The database and its connection pool.
#[derive(Debug, Clone, Args)]
pub struct DatabaseSettings {
    /// Database to use: `sqlite://path?mode=rwc` or `postgres://user@host:port/db`.
    #[arg(long = "database-url", env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub url: String,

    /// Size of the database connection pool.
    #[arg(
        long = "database-max-connections",
        env = "DATABASE_MAX_CONNECTIONS",
        default_value_t = 10
    )]
    pub max_connections: u32,

    /// Seconds a request waits for a free database connection (or for the database to answer a
    /// new one); after that it is answered `SERVICE_UNAVAILABLE` (HTTP 503 with `Retry-After`)
    /// instead of queueing behind a stopped or saturated database.
    #[arg(
        long = "database-acquire-timeout-secs",
        env = "DATABASE_ACQUIRE_TIMEOUT",
        default_value_t = 2,
        value_parser = clap::value_parser!(u64).range(1..=600)
    )]
    pub acquire_timeout_secs: u64,

    /// The most connections of the pool one request uses at once (at most the pool's size), so
    /// that a request reading many lists side by side leaves connections for the others.
    #[arg(
        long = "database-connections-per-request",
        env = "DATABASE_CONNECTIONS_PER_REQUEST",
        default_value_t = 4,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub max_connections_per_request: u32,
}

impl DatabaseSettings {
    /// [`Self::max_connections_per_request`], within the pool.
    pub fn connections_per_request(&self) -> usize {
        self.max_connections_per_request.min(self.max_connections) as usize
    }
}

/// The access and refresh tokens this server signs and accepts.
#[derive(Debug, Clone, Args)]
pub struct TokenSettings {
    /// PEM file of the Ed25519 private key that signs tokens. Without it, a key pair is
    /// generated into the data directory on first start and reused after.
    #[arg(long = "signing-key", env = "GONGZHI_SIGNING_KEY")]
    pub signing_key: Option<PathBuf>,

    /// Extra PEM public keys (comma-separated paths) accepted when verifying tokens, so tokens
    /// signed with a retired key stay valid until they expire.
    #[arg(
        long = "verify-keys",
        env = "GONGZHI_VERIFY_KEYS",
        value_delimiter = ','
    )]
    pub verify_keys: Vec<PathBuf>,

    /// `iss` of the tokens this server signs and accepts.
    #[arg(
        long = "token-issuer",
        env = "GONGZHI_TOKEN_ISSUER",
        default_value = "gongzhi"
    )]
    pub issuer: String,

    /// `aud` of the tokens this server signs and accepts.
    #[arg(
        long = "token-audience",
        env = "GONGZHI_TOKEN_AUDIENCE",
        default_value = "gongzhi-api"
    )]
    pub audience: String,

    /// Lifetime of access tokens, in seconds.
    #[arg(
        long = "access-token-ttl-secs",
        env = "GONGZHI_ACCESS_TOKEN_TTL",
        default_value_t = 900
    )]
    pub access_token_ttl_secs: u64,

    /// Lifetime of refresh tokens, in seconds. Each refresh hands out a new one with a fresh
    /// lifetime, so a sign-in lapses after this long unused.
    #[arg(
        long = "refresh-token-ttl-secs",
        env = "GONGZHI_REFRESH_TOKEN_TTL",
        default_value_t = 14 * 24 * 3600
    )]
    pub refresh_token_ttl_secs: u64,
}

impl TokenSettings {
    pub fn access_token_ttl(&self) -> Duration {
        Duration::from_secs(self.access_token_ttl_secs)
    }

    pub fn refresh_token_ttl(&self) -> Duration {
        Duration::from_secs(self.refresh_token_ttl_secs)
    }
}

/// Micro-wishes: the claim workflow and the sweeper that enforces its deadlines.
#[derive(Debug, Clone, Args)]
pub struct WishSettings {
    /// Open (active or delivered) wish claims one claimant may hold at once.
    #[arg(
        long = "max-open-claims",
        env = "GONGZHI_MAX_OPEN_CLAIMS",
        default_value_t = 5
    )]
    pub max_open_claims: u64,

    /// Days a claimant has to deliver a claimed wish before the claim is overdue.
    #[arg(
        long = "claim-period-days",
        env = "GONGZHI_CLAIM_PERIOD_DAYS",
        default_value_t = 7
    )]
    pub claim_period_days: i64,

    /// Seconds between sweeps that revoke overdue claims and expire wishes past their deadline
    /// (0 turns the sweeper off, e.g. for an instance that only serves reads).
    #[arg(
        long = "sweep-interval-secs",
        env = "GONGZHI_SWEEP_INTERVAL",
        default_value_t = 60
    )]
    pub sweep_interval_secs: u64,
}

/// Volunteering: attendance, service hours and points.
#[derive(Debug, Clone, Args)]
pub struct VolunteeringSettings {
    /// Minutes before an activity's start and after its end in which attendance may still be
    /// recorded; a service record never exceeds the scheduled span plus this.
    #[arg(
        long = "attendance-tolerance-minutes",
        env = "GONGZHI_ATTENDANCE_TOLERANCE_MINUTES",
        default_value_t = 30,
        value_parser = clap::value_parser!(i64).range(0..=1440)
    )]
    pub attendance_tolerance_minutes: i64,

    /// How attended time becomes service minutes: `down`, `nearest` or `up` to a multiple of
    /// `GONGZHI_SERVICE_ROUNDING_MINUTES`.
    #[arg(
        long = "service-rounding",
        env = "GONGZHI_SERVICE_ROUNDING",
        value_enum,
        default_value_t = Rounding::Down
    )]
    pub service_rounding: Rounding,

    /// The unit service minutes are rounded to.
    #[arg(
        long = "service-rounding-minutes",
        env = "GONGZHI_SERVICE_ROUNDING_MINUTES",
        default_value_t = 15,
        value_parser = clap::value_parser!(i64).range(1..=240)
    )]
    pub service_rounding_minutes: i64,

    /// Minutes an attendance code an organiser shows stays valid.
    #[arg(
        long = "attendance-code-minutes",
        env = "GONGZHI_ATTENDANCE_CODE_MINUTES",
        default_value_t = 15,
        value_parser = clap::value_parser!(i64).range(1..=1440)
    )]
    pub attendance_code_minutes: i64,

    /// Points a volunteer's ledger is credited per confirmed hour of service (pro rata).
    #[arg(
        long = "points-per-hour",
        env = "GONGZHI_POINTS_PER_HOUR",
        default_value_t = 10,
        value_parser = clap::value_parser!(i64).range(0..=10_000)
    )]
    pub points_per_hour: i64,
}

/// How attended time is rounded to service minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Rounding {
    /// Down to the unit: only whole units served count.
    Down,
    /// To the nearest unit, halves up.
    Nearest,
    /// Up to the unit.
    Up,
}

/// What every mutation shares.
#[derive(Debug, Clone, Args)]
pub struct MutationSettings {
    /// Hours a mutation's idempotency key (and its first result) is kept.
    #[arg(
        long = "idempotency-key-hours",
        env = "GONGZHI_IDEMPOTENCY_KEY_HOURS",
        default_value_t = 24
    )]
    pub idempotency_key_hours: i64,
}

/// The limits every query must stay within.
#[derive(Debug, Clone, Args)]
pub struct QueryLimits {
    /// Deepest query nesting accepted.
    #[arg(
        long = "max-query-depth",
        env = "GONGZHI_MAX_QUERY_DEPTH",
        default_value_t = 12
    )]
    pub max_depth: usize,

    /// Highest cost of one query, in the points the `Query` type's description defines (an
    /// object 1, a connection's nodes times its page size); a costlier query is refused before
    /// it runs with `QUERY_TOO_COSTLY`.
    #[arg(
        long = "max-query-cost",
        env = "GONGZHI_MAX_QUERY_COST",
        default_value_t = 1_000
    )]
    pub max_cost: u64,

    /// Bytes of memory (estimated from each document's text and tokens) each instance gives to
    /// the checked documents it keeps by their SHA-256, so that a document it has seen costs no
    /// parsing or checking, and for automatic persisted queries; 0 keeps none.
    #[arg(
        long = "document-cache-bytes",
        env = "GONGZHI_DOCUMENT_CACHE_BYTES",
        default_value_t = 16 * 1024 * 1024
    )]
    pub document_cache_bytes: usize,
}

/// Every caller's budget of query-cost points: a leaky bucket, as the `Query` type's
/// description explains.
#[derive(Debug, Clone, Args)]
pub struct BudgetSettings {
    /// Whether callers spend query-cost points from budgets. Off, no query is throttled,
    /// answers carry no `extensions.cost` and no `RateLimit` headers, and `rateLimit` is null:
    /// for a deployment that governs traffic in front of Gongzhi, and to measure what budgets
    /// cost. Failed sign-ins are limited either way.
    #[arg(
        long = "budgets",
        env = "GONGZHI_BUDGETS",
        default_value_t = true,
        action = clap::ArgAction::Set
    )]
    pub enabled: bool,

    /// Points a caller's bucket holds, and so the most one of its queries may cost (an API
    /// client may be given its own with `gongzhi client set-limits`).
    #[arg(
        long = "budget-capacity",
        env = "GONGZHI_BUDGET_CAPACITY",
        default_value_t = 1_000,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub capacity: u32,

    /// Points a caller's bucket restores a second.
    #[arg(
        long = "budget-restore-rate",
        env = "GONGZHI_BUDGET_RESTORE_RATE",
        default_value_t = 50,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub restore_rate: u32,

    /// Points the bucket of an anonymous source address holds.
    #[arg(
        long = "anonymous-budget-capacity",
        env = "GONGZHI_ANONYMOUS_BUDGET_CAPACITY",
        default_value_t = 500,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub anonymous_capacity: u32,

    /// Points the bucket of an anonymous source address restores a second.
    #[arg(
        long = "anonymous-budget-restore-rate",
        env = "GONGZHI_ANONYMOUS_BUDGET_RESTORE_RATE",
        default_value_t = 25,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub anonymous_restore_rate: u32,

    /// Redis (`redis://127.0.0.1:6379`) to keep the buckets in, so that every instance of a
    /// deployment spends from the same ones; without it each instance keeps its own. When
    /// Redis does not answer, instances fall back to their own buckets and say so in the log.
    #[arg(long = "redis-url", env = "GONGZHI_REDIS_URL")]
    pub redis_url: Option<String>,

    /// Failed sign-ins (wrong passwords at `/auth/login`, wrong client secrets at
    /// `/oauth/token`) one account or client may have from one address before further attempts
    /// are refused with 429; each failure is answered more slowly than the last. An address has
    /// ten times as many, whatever the credential.
    #[arg(
        long = "sign-in-attempts",
        env = "GONGZHI_SIGN_IN_ATTEMPTS",
        default_value_t = 5,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub sign_in_attempts: u32,

    /// Seconds after which one failed sign-in is forgiven (an address: a tenth of that).
    #[arg(
        long = "sign-in-attempt-seconds",
        env = "GONGZHI_SIGN_IN_ATTEMPT_SECONDS",
        default_value_t = 60,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub sign_in_attempt_seconds: u32,

    /// What the buckets' Redis keys start with, to share one Redis between deployments.
    #[arg(
        long = "redis-prefix",
        env = "GONGZHI_REDIS_PREFIX",
        default_value = "gongzhi"
    )]
    pub redis_prefix: String,
}

/// The settings alone, as a command line of their own.
#[derive(Parser)]
struct Settings {
    #[command(flatten)]
    config: Config,
}

impl Config {
    /// The documented defaults, whatever the environment says: what tests and tools start from.
    /// (An empty command line yields the defaults, so they are written down once, above.)
    pub fn defaults() -> Self {
        let matches = defaults_command()
            .try_get_matches_from(["gongzhi"])
            .expect("every setting has a default or is optional");
        Settings::from_arg_matches(&matches)
            .expect("the defaults parse")
            .config
    }

    /// The defaults with another database and data directory, and a signing key generated
    /// into that directory.
    pub fn new(database_url: impl Into<String>, data_dir: impl Into<PathBuf>) -> Self {
        let mut config = Self::defaults();
        config.database.url = database_url.into();
        config.server.data_dir = data_dir.into();
        config
    }

    /// The environment variable of every setting.
    pub fn variables() -> Vec<String> {
        Settings::command()
            .get_arguments()
            .filter_map(|arg| arg.get_env())
            .map(|name| name.to_string_lossy().into_owned())
            .collect()
    }
}

/// The settings' command line with every environment variable unset.
fn defaults_command() -> clap::Command {
    Settings::command().mut_args(|arg| arg.env(None::<&'static str>))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_documented_ones_whatever_the_environment() {
        assert!(
            defaults_command()
                .get_arguments()
                .all(|arg| arg.get_env().is_none())
        );
        let config = Config::defaults();
        assert_eq!(config.wishes.max_open_claims, 5);
        assert_eq!(config.database.url, DEFAULT_DATABASE_URL);
        assert_eq!(config.volunteering.service_rounding, Rounding::Down);
        assert_eq!(config.query_limits.max_depth, 12);
        assert_eq!(config.tokens.signing_key, None);
    }

    #[test]
    fn the_readme_lists_every_setting() {
        let readme = include_str!("../../README.md");
        let table = readme
            .split("## Configuration")
            .nth(1)
            .and_then(|section| section.split("\n## ").next())
            .expect("the README has a Configuration section");
        let missing: Vec<String> = Config::variables()
            .into_iter()
            .filter(|name| !table.contains(&format!("`{name}`")))
            .collect();
        assert!(
            missing.is_empty(),
            "the README's settings table lacks {missing:?}"
        );
    }

    #[test]
    fn the_env_example_lists_every_setting() {
        let example = include_str!("../../.env.example");
        let missing: Vec<String> = Config::variables()
            .into_iter()
            .filter(|name| !example.contains(&format!("{name}=")))
            .collect();
        assert!(missing.is_empty(), ".env.example lacks {missing:?}");
    }
}
