//! The `main` of every service: configuration, telemetry, run, and an exit
//! code that says what went wrong in one line.

use std::future::Future;
use std::process::ExitCode;

use crate::config::{ConfigError, TelemetryConfig};

/// Loads the configuration with `load`, installs telemetry from it, runs
/// `run` and flushes telemetry. A bad configuration exits with 2 and one
/// line naming the key and the rule; a failure while running exits with 1.
///
/// With the argument `--check-config` it only loads and validates the
/// configuration (every layer, as a start would) and exits: 0 when it is
/// valid, 2 with the line naming the key otherwise. Deployment checks run it
/// against rendered manifests.
pub async fn service_main<C, Fut>(
    name: &'static str,
    load: impl FnOnce() -> Result<C, ConfigError>,
    telemetry: impl Fn(&C) -> &TelemetryConfig,
    run: impl FnOnce(C) -> Fut,
) -> ExitCode
where
    Fut: Future<Output = anyhow::Result<()>>,
{
    let check_only = std::env::args().skip(1).any(|arg| arg == "--check-config");
    let config = match load() {
        Ok(config) => config,
        Err(err) => {
            // Telemetry is not up yet: configuration decides its format.
            eprintln!("{name}: {err}");
            return ExitCode::from(2);
        }
    };
    if check_only {
        println!("{name}: configuration is valid");
        return ExitCode::SUCCESS;
    }
    let guard = match crate::telemetry::init(name, telemetry(&config)) {
        Ok(guard) => guard,
        Err(err) => {
            eprintln!("{name}: {err:#}");
            return ExitCode::from(2);
        }
    };
    let outcome = run(config).await;
    guard.shutdown();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "{name} stopped with an error");
            eprintln!("{name}: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// What [`service_main_with_migrations`] needs to run a service's
/// migrations as a step of their own.
pub struct Migrations<C> {
    /// The service's database settings.
    pub database: fn(&C) -> &crate::config::DatabaseConfig,
    /// The service's migrations (the platform's are added).
    pub migrator: &'static sqlx::migrate::Migrator,
}

/// Runs a service as [`service_main`] does, and with the argument `migrate`
/// only applies its migrations (the platform's and its own) and exits: 0
/// when the schema is up to date, 1 when a migration failed. Deployments run
/// this as a Job before the new release's pods start.
pub async fn service_main_with_migrations<C, Fut>(
    name: &'static str,
    load: impl FnOnce() -> Result<C, ConfigError>,
    telemetry: impl Fn(&C) -> &TelemetryConfig,
    migrations: Migrations<C>,
    run: impl FnOnce(C) -> Fut,
) -> ExitCode
where
    Fut: Future<Output = anyhow::Result<()>>,
{
    if std::env::args().nth(1).as_deref() != Some("migrate") {
        return service_main(name, load, telemetry, run).await;
    }
    service_main(name, load, telemetry, |config| async move {
        let applied =
            crate::db::migrate_only((migrations.database)(&config), migrations.migrator).await?;
        tracing::info!(applied, "database schema up to date");
        println!("{name}: database schema up to date ({applied} migration(s) applied)");
        Ok(())
    })
    .await
}
