//! PostgreSQL: the pool, creating the service's database when missing, and
//! migrations (the platform's tables first, then the service's own).

use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use secrecy::ExposeSecret;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

use crate::config::DatabaseConfig;

/// The platform's own tables (outbox, inbox, idempotency keys), shared by
/// every service so the relay and consumers can rely on one shape.
pub static PLATFORM_MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Opens the pool for `config.url`, creating the database first when it does
/// not exist and `create_if_missing` is set; applies the migrations when
/// `migrate_at_start` is set, else checks that every migration this binary
/// needs is applied (a newer schema, after a rollback, is fine: migrations
/// are additive). Retries for a minute while PostgreSQL is unreachable.
///
/// # Errors
/// PostgreSQL unreachable, the database cannot be created, or a migration fails.
pub async fn connect_and_migrate(
    config: &DatabaseConfig,
    service: &Migrator,
) -> anyhow::Result<PgPool> {
    let options =
        PgConnectOptions::from_str(config.url.expose_secret()).context("parsing database.url")?;
    // PostgreSQL may come up after the service (a pod restart, `make run`):
    // keep trying for a while before giving up and letting the orchestrator
    // restart the service.
    use backon::Retryable as _;
    let started = Instant::now();
    let policy = backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(500))
        .with_max_delay(Duration::from_secs(5))
        .with_jitter()
        .without_max_times();
    (|| try_connect(config, &options, service))
        .retry(policy)
        .when(|_| started.elapsed() < STARTUP_PATIENCE)
        .notify(|err, delay| {
            tracing::warn!(error = format!("{err:#}"), retry_in = ?delay, "database not ready");
        })
        .await
}

/// How long start-up waits for PostgreSQL.
const STARTUP_PATIENCE: Duration = Duration::from_secs(60);

async fn try_connect(
    config: &DatabaseConfig,
    options: &PgConnectOptions,
    service: &Migrator,
) -> anyhow::Result<PgPool> {
    if config.create_if_missing {
        create_database_if_missing(options).await?;
    }
    let pool = open(config, options).await?;
    if config.migrate_at_start {
        migrate(&pool, service).await?;
    } else {
        require_migrated(&pool, service).await?;
    }
    Ok(pool)
}

async fn open(config: &DatabaseConfig, options: &PgConnectOptions) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(config.max_connections)
        .acquire_timeout(config.acquire_timeout)
        .connect_with(options.clone())
        .await
        .with_context(|| {
            format!(
                "connecting to database {:?}",
                options.get_database().unwrap_or("?")
            )
        })
}

/// Connects as [`connect_and_migrate`] does and applies every migration:
/// the `migrate` step of a deployment.
///
/// # Errors
/// PostgreSQL unreachable, or a migration fails.
pub async fn migrate_only(config: &DatabaseConfig, service: &Migrator) -> anyhow::Result<usize> {
    let options =
        PgConnectOptions::from_str(config.url.expose_secret()).context("parsing database.url")?;
    if config.create_if_missing {
        create_database_if_missing(&options).await?;
    }
    let pool = open(config, &options).await?;
    let before = applied_versions(&pool).await?.len();
    migrate(&pool, service).await?;
    let after = applied_versions(&pool).await?.len();
    pool.close().await;
    Ok(after.saturating_sub(before))
}

/// Returns the versions of the migrations applied to `pool`'s database.
async fn applied_versions(pool: &PgPool) -> anyhow::Result<Vec<i64>> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(pool)
        .await?;
    if !exists {
        return Ok(Vec::new());
    }
    Ok(
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(pool)
            .await?,
    )
}

/// Refuses to serve on a schema older than this binary needs.
///
/// # Errors
/// A migration of this binary is not applied yet (naming it), or the
/// database fails.
pub async fn require_migrated(pool: &PgPool, service: &Migrator) -> anyhow::Result<()> {
    let applied = applied_versions(pool).await?;
    let missing: Vec<String> = migrator(service)
        .iter()
        .filter(|m| !applied.contains(&m.version))
        .map(|m| format!("{} {}", m.version, m.description))
        .collect();
    anyhow::ensure!(
        missing.is_empty(),
        "the database schema is behind this release (missing migrations: {}); run the \
         service's `migrate` step first, or set database.migrate_at_start",
        missing.join(", ")
    );
    Ok(())
}

/// Returns one migrator holding the platform's migrations and `service`'s,
/// in version order, so a service's database is brought up to date in one
/// run under sqlx's advisory lock (replicas may start together).
pub fn migrator(service: &Migrator) -> Migrator {
    let migrations = PLATFORM_MIGRATOR
        .iter()
        .chain(service.iter())
        .cloned()
        .collect();
    Migrator::with_migrations(migrations)
}

/// Applies the platform's and the service's migrations.
///
/// # Errors
/// A migration fails or an applied one was edited.
pub async fn migrate(pool: &PgPool, service: &Migrator) -> anyhow::Result<()> {
    migrator(service)
        .run(pool)
        .await
        .context("applying migrations")?;
    Ok(())
}

async fn create_database_if_missing(options: &PgConnectOptions) -> anyhow::Result<()> {
    let name = options
        .get_database()
        .context("database.url names no database")?
        .to_owned();
    let mut admin: PgConnection = options
        .clone()
        .database("postgres")
        .connect()
        .await
        .context("connecting to the postgres maintenance database")?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut admin)
            .await?;
    if !exists {
        // The name comes from configuration, not a caller; it is quoted as an identifier.
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        match sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {quoted}")))
            .execute(&mut admin)
            .await
        {
            Ok(_) => tracing::info!(database = %name, "created database"),
            // Another replica created it first.
            Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42P04") => {}
            Err(err) => return Err(err).context("creating the service database"),
        }
    }
    admin.close().await?;
    Ok(())
}
