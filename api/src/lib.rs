//! Gongzhi (共治): the partner-integration GraphQL API of a district's community governance.
//!
//! Data flows one way: HTTP ([`http`]) → who is asking ([`auth`]) → GraphQL resolvers
//! ([`graphql`]) → rules and transactions ([`domain`]) → SeaORM ([`entities`]).

pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod http;
pub mod seed;
pub mod telemetry;
pub mod traffic;

use std::sync::Arc;

use axum::Router;
use chrono::Duration;

pub use config::Config;
pub use http::AppState;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("token keys: {0}")]
    Keys(#[from] auth::KeyError),
    #[error("{0}")]
    Setting(String),
    #[error("GONGZHI_REDIS_URL: {0}")]
    Redis(#[from] redis::RedisError),
}

/// Connects to the database, brings its schema up to date, loads the token keys and (on an
/// empty database, when configured) the demo district: everything a server needs.
pub async fn prepare(config: &Config) -> Result<AppState, StartupError> {
    // Instances starting together take turns: the first opens the database (on SQLite, switching
    // a new file to WAL, which two at once cannot), migrates and seeds; the rest find it done.
    let lock = db::StartupLock::acquire(&config.database).await?;
    let statements = db::StatementCounter::default();
    let db = db::connect(&config.database, &statements).await?;
    db::migrate(&db).await?;
    if config.server.seed_demo && seed::is_empty(&db).await? {
        tracing::info!("empty database: loading the demo district");
        seed::seed(&db, seed::Profile::Demo, false).await?;
    }
    lock.release().await;
    let keys = auth::KeySet::load(&config.tokens, &config.server.data_dir)?;
    let schema = build_schema(config);
    Ok(AppState {
        probe: db::connect_probe(&config.database).await?,
        connections_per_request: config.database.connections_per_request(),
        db,
        checks: Arc::new(graphql::RequestChecks::new(&schema, &config.query_limits)),
        cors_origins: cors_origins(&config.server.cors_origins)?,
        body_timeout: std::time::Duration::from_secs(config.server.body_timeout_secs),
        sdl: graphql::sdl(&schema).into(),
        schema,
        tokens: Arc::new(auth::TokenService::new(keys, &config.tokens)),
        refresh_token_ttl: config.tokens.refresh_token_ttl(),
        metrics: Arc::new(http::Metrics::new(&statements)),
        trusted_proxies: config.server.trusted_proxies.clone().into(),
        statements,
        figures: Arc::default(),
        buckets: Arc::new(traffic::Budgets::new(
            config.budgets.redis_url.as_deref(),
            &config.budgets.redis_prefix,
        )?),
        budget_policy: config
            .budgets
            .enabled
            .then(|| budget_policy(&config.budgets)),
        attempt_limits: traffic::AttemptLimits::new(
            config.budgets.sign_in_attempts,
            config.budgets.sign_in_attempt_seconds,
        ),
    })
}

/// The budgets' sizes, from the settings.
fn budget_policy(settings: &config::BudgetSettings) -> traffic::Policy {
    traffic::Policy {
        callers: traffic::Limits {
            capacity: f64::from(settings.capacity),
            restore_rate: f64::from(settings.restore_rate),
        },
        anonymous: traffic::Limits {
            capacity: f64::from(settings.anonymous_capacity),
            restore_rate: f64::from(settings.anonymous_restore_rate),
        },
    }
}

/// The domain's rules, from the settings: the one place where settings become rules.
pub fn rules(config: &Config) -> domain::Rules {
    let wishes = &config.wishes;
    let volunteering = &config.volunteering;
    domain::Rules {
        wishes: domain::wishes::WishRules {
            max_open_claims: wishes.max_open_claims,
            claim_period: Duration::days(wishes.claim_period_days),
        },
        volunteering: domain::volunteering::VolunteeringRules {
            tolerance: Duration::minutes(volunteering.attendance_tolerance_minutes),
            rounding: volunteering.service_rounding,
            rounding_unit: volunteering.service_rounding_minutes,
            code_lifetime: Duration::minutes(volunteering.attendance_code_minutes),
            points_per_hour: volunteering.points_per_hour,
        },
        key_lifetime: domain::idempotency::KeyLifetime(Duration::hours(
            config.mutations.idempotency_key_hours,
        )),
    }
}

/// The schema, with the configured rules.
pub fn build_schema(config: &Config) -> graphql::GongzhiSchema {
    graphql::build_schema(rules(config), &config.query_limits)
}

/// A validator of documents against the schema, with the configured rules and limits.
pub fn validator(config: &Config) -> graphql::Validator {
    graphql::build_validator(rules(config), &config.query_limits)
}

/// The origins of `GONGZHI_CORS_ORIGINS`, checked: `scheme://host[:port]`, nothing more.
fn cors_origins(origins: &[String]) -> Result<Vec<axum::http::HeaderValue>, StartupError> {
    origins
        .iter()
        .map(|origin| origin.trim())
        .filter(|origin| !origin.is_empty())
        .map(|origin| {
            let refused = || {
                StartupError::Setting(format!(
                    "GONGZHI_CORS_ORIGINS: `{origin}` is not an origin such as https://app.example.cn"
                ))
            };
            let rest = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"))
                .ok_or_else(refused)?;
            if rest.is_empty() || rest.contains('/') {
                return Err(refused());
            }
            axum::http::HeaderValue::from_str(origin).map_err(|_| refused())
        })
        .collect()
}

/// The HTTP application: every route of the API.
pub fn app(state: AppState) -> Router {
    http::router(state)
}

/// Sweeps the wishes every `interval` (see [`domain::wishes::sweep`]) until the process ends.
/// Several instances may sweep one database: each wish moves at most once.
pub fn spawn_sweeper(
    db: sea_orm::DatabaseConnection,
    interval: std::time::Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match domain::wishes::sweep(&db, chrono::Utc::now()).await {
                Ok(report) if report != Default::default() => {
                    tracing::info!(
                        claims.revoked = report.revoked_claims,
                        wishes.expired = report.expired_wishes,
                        "swept micro-wishes"
                    );
                }
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(error = %err, "sweeping micro-wishes failed; retrying at the next tick")
                }
            }
        }
    })
}
