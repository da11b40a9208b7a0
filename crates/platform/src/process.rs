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

/// What [`service_main_with_commands`] needs for a service's commands
/// besides serving: its migrations and its health service.
pub struct Commands<C> {
    /// The service's database settings.
    pub database: fn(&C) -> &crate::config::DatabaseConfig,
    /// The service's gRPC server settings (where `probe` looks by default).
    pub grpc: fn(&C) -> &crate::config::GrpcConfig,
    /// The service's migrations (the platform's are added).
    pub migrator: &'static sqlx::migrate::Migrator,
    /// The gRPC service whose readiness `probe` asks for.
    pub health_service: &'static str,
}

/// Runs a service as [`service_main`] does, with two more commands:
/// - `migrate` applies its migrations (the platform's and its own) and
///   exits: 0 when the schema is up to date, 1 when a migration failed.
///   Deployments run it as a Job before the new release's pods start.
/// - `probe [URL]` asks the health service at `URL` (default: this
///   configuration's `grpc.listen`) whether the service is ready, and exits
///   0 when it is SERVING, 1 otherwise: a health check from inside the
///   image, for `helm test` and scripts. With `grpc.tls` it speaks TLS,
///   trusting `grpc.tls.client_ca_path` and presenting the service's own
///   certificate.
pub async fn service_main_with_commands<C, Fut>(
    name: &'static str,
    load: impl FnOnce() -> Result<C, ConfigError>,
    telemetry: impl Fn(&C) -> &TelemetryConfig,
    commands: Commands<C>,
    run: impl FnOnce(C) -> Fut,
) -> ExitCode
where
    Fut: Future<Output = anyhow::Result<()>>,
{
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("migrate") => {
            service_main(name, load, telemetry, |config| async move {
                let applied =
                    crate::db::migrate_only((commands.database)(&config), commands.migrator)
                        .await?;
                tracing::info!(applied, "database schema up to date");
                println!("{name}: database schema up to date ({applied} migration(s) applied)");
                Ok(())
            })
            .await
        }
        Some("probe") => {
            let url = args.get(1).cloned();
            service_main(name, load, telemetry, |config| async move {
                let grpc = (commands.grpc)(&config);
                let status = probe(grpc, url, commands.health_service).await?;
                println!("{name}: {} is {status}", commands.health_service);
                anyhow::ensure!(status == "SERVING", "not ready");
                Ok(())
            })
            .await
        }
        _ => service_main(name, load, telemetry, run).await,
    }
}

/// Asks the health service at `url` (or at `grpc.listen`) for `service`.
async fn probe(
    grpc: &crate::config::GrpcConfig,
    url: Option<String>,
    service: &str,
) -> anyhow::Result<&'static str> {
    use anyhow::Context as _;
    let url = url.unwrap_or_else(|| {
        let mut addr = grpc.listen;
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        let scheme = if grpc.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{addr}")
    });
    let mut endpoint = tonic::transport::Endpoint::from_shared(url.clone())
        .with_context(|| format!("invalid address {url}"))?
        .connect_timeout(std::time::Duration::from_secs(3))
        .timeout(std::time::Duration::from_secs(3));
    if let Some(tls) = grpc.tls.as_ref().filter(|_| url.starts_with("https://")) {
        let mut config = tonic::transport::ClientTlsConfig::new();
        if let Some(ca) = &tls.client_ca_path {
            let ca = std::fs::read(ca).with_context(|| format!("reading {}", ca.display()))?;
            config = config.ca_certificate(tonic::transport::Certificate::from_pem(ca));
        }
        let cert = std::fs::read(&tls.cert_path)?;
        let key = std::fs::read(&tls.key_path)?;
        config = config.identity(tonic::transport::Identity::from_pem(cert, key));
        endpoint = endpoint.tls_config(config)?;
    }
    let channel = endpoint
        .connect()
        .await
        .with_context(|| format!("connecting to {url}"))?;
    let answer = tonic_health::pb::health_client::HealthClient::new(channel)
        .check(tonic_health::pb::HealthCheckRequest {
            service: service.to_owned(),
        })
        .await
        .with_context(|| format!("asking {url} for {service}"))?;
    Ok(answer.into_inner().status().as_str_name())
}
