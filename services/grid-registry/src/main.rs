//! The grid-registry binary.

use std::process::ExitCode;

use grid_registry::{App, RegistryConfig};

#[tokio::main]
async fn main() -> ExitCode {
    platform::process::service_main(
        "grid-registry",
        RegistryConfig::load,
        |c| &c.service.telemetry,
        |config| async move {
            App::build(config)
                .await?
                .run_until_stopped(platform::shutdown::signal())
                .await
        },
    )
    .await
}
