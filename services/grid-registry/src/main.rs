//! The grid-registry binary: `grid-registry` serves; `grid-registry migrate` applies the
//! migrations and exits; `grid-registry probe [URL]` asks whether it is ready;
//! `grid-registry --check-config` validates the configuration.

use std::process::ExitCode;

use grid_registry::{App, RegistryConfig};

#[tokio::main]
async fn main() -> ExitCode {
    platform::process::service_main_with_commands(
        "grid-registry",
        RegistryConfig::load,
        |c| &c.service.telemetry,
        platform::process::Commands {
            database: |c| &c.service.database,
            grpc: |c| &c.service.grpc,
            migrator: &grid_registry::MIGRATOR,
            health_service: "weigrid.registry.v1.RegistryService",
        },
        |config| async move {
            App::build(config)
                .await?
                .run_until_stopped(platform::shutdown::signal())
                .await
        },
    )
    .await
}
