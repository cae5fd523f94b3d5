//! Settings, read once from the environment (or the command line) with working defaults. Nothing
//! else in the crate reads the environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Where the embedded database lives when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/gongzhi.db?mode=rwc";

/// Server settings. Each one can be given as an environment variable (see `.env.example`) or as
/// a command-line flag of the same name.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Database to use: `sqlite://path?mode=rwc` or `postgres://user@host:port/db`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,

    /// Size of the database connection pool.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 10)]
    pub database_max_connections: u32,

    /// Address the HTTP server listens on.
    #[arg(long, env = "GONGZHI_LISTEN", default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,

    /// Directory for the server's own files: the generated signing key (and the SQLite file,
    /// with the default `DATABASE_URL`).
    #[arg(long, env = "GONGZHI_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Load the demo district into an empty database at start-up.
    #[arg(long, env = "GONGZHI_SEED_DEMO", default_value_t = true, action = clap::ArgAction::Set)]
    pub seed_demo: bool,

    /// PEM file of the Ed25519 private key that signs tokens. Without it, a key pair is
    /// generated into the data directory on first start and reused after.
    #[arg(long, env = "GONGZHI_SIGNING_KEY")]
    pub signing_key: Option<PathBuf>,

    /// Extra PEM public keys (comma-separated paths) accepted when verifying tokens, so tokens
    /// signed with a retired key stay valid until they expire.
    #[arg(long, env = "GONGZHI_VERIFY_KEYS", value_delimiter = ',')]
    pub verify_keys: Vec<PathBuf>,

    /// `iss` of the tokens this server signs and accepts.
    #[arg(long, env = "GONGZHI_TOKEN_ISSUER", default_value = "gongzhi")]
    pub token_issuer: String,

    /// `aud` of the tokens this server signs and accepts.
    #[arg(long, env = "GONGZHI_TOKEN_AUDIENCE", default_value = "gongzhi-api")]
    pub token_audience: String,

    /// Lifetime of access tokens, in seconds.
    #[arg(long, env = "GONGZHI_ACCESS_TOKEN_TTL", default_value_t = 900)]
    pub access_token_ttl_secs: u64,

    /// Lifetime of refresh tokens, in seconds. Each refresh hands out a new one with a fresh
    /// lifetime, so a sign-in lapses after this long unused.
    #[arg(long, env = "GONGZHI_REFRESH_TOKEN_TTL", default_value_t = 14 * 24 * 3600)]
    pub refresh_token_ttl_secs: u64,

    /// Open (active or delivered) wish claims one claimant may hold at once.
    #[arg(long, env = "GONGZHI_MAX_OPEN_CLAIMS", default_value_t = 5)]
    pub max_open_claims: u64,

    /// Days a claimant has to deliver a claimed wish before the claim is overdue.
    #[arg(long, env = "GONGZHI_CLAIM_PERIOD_DAYS", default_value_t = 7)]
    pub claim_period_days: i64,

    /// Seconds between sweeps that revoke overdue claims and expire wishes past their deadline
    /// (0 turns the sweeper off, e.g. for an instance that only serves reads).
    #[arg(long, env = "GONGZHI_SWEEP_INTERVAL", default_value_t = 60)]
    pub sweep_interval_secs: u64,

    /// Hours a mutation's idempotency key (and its first result) is kept.
    #[arg(long, env = "GONGZHI_IDEMPOTENCY_KEY_HOURS", default_value_t = 24)]
    pub idempotency_key_hours: i64,

    /// Minutes before an activity's start and after its end in which attendance may still be
    /// recorded; a service record never exceeds the scheduled span plus this.
    #[arg(
        long,
        env = "GONGZHI_ATTENDANCE_TOLERANCE_MINUTES",
        default_value_t = 30,
        value_parser = clap::value_parser!(i64).range(0..=1440)
    )]
    pub attendance_tolerance_minutes: i64,

    /// How attended time becomes service minutes: `down`, `nearest` or `up` to a multiple of
    /// `GONGZHI_SERVICE_ROUNDING_MINUTES`.
    #[arg(long, env = "GONGZHI_SERVICE_ROUNDING", value_enum, default_value_t = Rounding::Down)]
    pub service_rounding: Rounding,

    /// The unit service minutes are rounded to.
    #[arg(long, env = "GONGZHI_SERVICE_ROUNDING_MINUTES", default_value_t = 15, value_parser = clap::value_parser!(i64).range(1..=240))]
    pub service_rounding_minutes: i64,

    /// Minutes an attendance code an organiser shows stays valid.
    #[arg(long, env = "GONGZHI_ATTENDANCE_CODE_MINUTES", default_value_t = 15, value_parser = clap::value_parser!(i64).range(1..=1440))]
    pub attendance_code_minutes: i64,

    /// Points a volunteer's ledger is credited per confirmed hour of service (pro rata).
    #[arg(long, env = "GONGZHI_POINTS_PER_HOUR", default_value_t = 10, value_parser = clap::value_parser!(i64).range(0..=10_000))]
    pub points_per_hour: i64,

    /// Deepest query nesting accepted.
    #[arg(long, env = "GONGZHI_MAX_QUERY_DEPTH", default_value_t = 12)]
    pub max_query_depth: usize,

    /// Highest query complexity accepted (each field costs 1, a connection multiplies its
    /// children by its page size).
    #[arg(long, env = "GONGZHI_MAX_QUERY_COMPLEXITY", default_value_t = 20_000)]
    pub max_query_complexity: usize,
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

impl Config {
    /// The settings of the environment (or the defaults), with another database and data
    /// directory and a generated signing key: what tests and tools start from.
    pub fn new(database_url: impl Into<String>, data_dir: impl Into<PathBuf>) -> Self {
        use clap::Parser;

        #[derive(Parser)]
        struct Defaults {
            #[command(flatten)]
            config: Config,
        }
        // An empty command line yields the documented defaults, so they are written down once.
        let mut config = Defaults::parse_from(["gongzhi"]).config;
        config.database_url = database_url.into();
        config.data_dir = data_dir.into();
        config.signing_key = None;
        config.verify_keys = Vec::new();
        config
    }

    pub fn access_token_ttl(&self) -> Duration {
        Duration::from_secs(self.access_token_ttl_secs)
    }

    pub fn refresh_token_ttl(&self) -> Duration {
        Duration::from_secs(self.refresh_token_ttl_secs)
    }
}
