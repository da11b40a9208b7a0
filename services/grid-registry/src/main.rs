//! The grid-registry binary.

use anyhow::Context as _;
use grid_registry::{App, RegistryConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = RegistryConfig::load().context("loading configuration")?;
    let telemetry = platform::telemetry::init("grid-registry", &config.service.telemetry)?;
    let outcome = async {
        let app = App::build(config).await?;
        app.run_until_stopped(platform::shutdown::signal()).await
    }
    .await;
    if let Err(err) = &outcome {
        tracing::error!(
            error = format!("{err:#}"),
            "grid-registry stopped with an error"
        );
    }
    telemetry.shutdown();
    outcome
}
