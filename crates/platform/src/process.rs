//! The `main` of every service: configuration, telemetry, run, and an exit
//! code that says what went wrong in one line. A service's binary is
//!
//! ```ignore
//! #[tokio::main]
//! async fn main() -> std::process::ExitCode {
//!     platform::process::main::<grid_registry::App>().await
//! }
//! ```

use std::future::Future;
use std::process::ExitCode;

use crate::config::{ConfigError, TelemetryConfig};
use crate::service::Service;

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
    install_crypto_provider();
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

/// Runs service `S` as its binary: with no command it serves until
/// SIGTERM or Ctrl-C ([`Service::build`], then
/// [`Service::run_until_stopped`]); besides serving it knows
/// - `migrate`: applies its migrations (the platform's and its own) and
///   exits: 0 when the schema is up to date, 1 when a migration failed.
///   Deployments run it as a Job before the new release's pods start.
/// - `probe [URL]`: asks the health service at `URL` (default: this
///   configuration's `grpc.listen`) whether the service is ready, and exits
///   0 when it is SERVING, 1 otherwise: a health check from inside the
///   image, for `helm test` and scripts. With `grpc.tls` it speaks TLS,
///   trusting `grpc.tls.client_ca_path` and presenting the service's own
///   certificate.
/// - `--check-config` (with any of them): only validates the configuration
///   (see [`service_main`]).
pub async fn main<S: Service>() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let telemetry = telemetry_of::<S>;
    match args.first().map(String::as_str) {
        Some("migrate") => {
            service_main(S::NAME, S::load, telemetry, |config| async move {
                let database = &S::shared(&config).database;
                let applied = crate::db::migrate_only(database, S::MIGRATOR).await?;
                tracing::info!(applied, "database schema up to date");
                println!(
                    "{}: database schema up to date ({applied} migration(s) applied)",
                    S::NAME
                );
                Ok(())
            })
            .await
        }
        Some("probe") => {
            let url = args.get(1).cloned();
            service_main(S::NAME, S::load, telemetry, |config| async move {
                let grpc = &S::shared(&config).grpc;
                let status = probe(grpc, url, S::HEALTH_SERVICE).await?;
                println!("{}: {} is {status}", S::NAME, S::HEALTH_SERVICE);
                anyhow::ensure!(status == "SERVING", "not ready");
                Ok(())
            })
            .await
        }
        _ => {
            service_main(S::NAME, S::load, telemetry, |config| async move {
                S::build(config)
                    .await?
                    .run_until_stopped(crate::shutdown::signal())
                    .await
            })
            .await
        }
    }
}

/// Returns the telemetry settings of service `S`'s `config`.
fn telemetry_of<S: Service>(config: &S::Config) -> &TelemetryConfig {
    &S::shared(config).telemetry
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

/// Makes ring the process's TLS crypto provider, as tonic, sqlx and
/// reqwest are built with. A binary that links a second provider (the
/// edge built with S3 storage brings aws-lc-rs through the AWS client)
/// otherwise has none chosen, and its first TLS connection panics. Does
/// nothing when a provider is chosen already.
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // A race with another thread installing one leaves that one: fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_process_has_a_tls_provider_after_start() {
        super::install_crypto_provider();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
        // The builder that panics without a provider.
        let _ = rustls::ClientConfig::builder()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
        // Again: nothing changes, nothing fails.
        super::install_crypto_provider();
    }
}
