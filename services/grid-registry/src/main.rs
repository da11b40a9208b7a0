//! The grid-registry binary.

use std::process::ExitCode;

use grid_registry::{App, RegistryConfig};

#[tokio::main]
async fn main() -> ExitCode {
    let config = match RegistryConfig::load() {
        Ok(config) => config,
        Err(err) => {
            // Telemetry is not up yet: configuration decides its format.
            eprintln!("grid-registry: {err}");
            return ExitCode::from(2);
        }
    };
    let telemetry = match platform::telemetry::init("grid-registry", &config.service.telemetry) {
        Ok(telemetry) => telemetry,
        Err(err) => {
            eprintln!("grid-registry: {err:#}");
            return ExitCode::from(2);
        }
    };
    let outcome = async {
        let app = App::build(config).await?;
        app.run_until_stopped(platform::shutdown::signal()).await
    }
    .await;
    telemetry.shutdown();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(
                error = format!("{err:#}"),
                "grid-registry stopped with an error"
            );
            eprintln!("grid-registry: {err:#}");
            ExitCode::FAILURE
        }
    }
}
