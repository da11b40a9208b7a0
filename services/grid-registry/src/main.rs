//! The grid-registry binary: `grid-registry` serves, `grid-registry migrate` applies the
//! migrations and exits, `grid-registry --check-config` validates the configuration.

use std::process::ExitCode;

use grid_registry::{App, RegistryConfig};

#[tokio::main]
async fn main() -> ExitCode {
    platform::process::service_main_with_migrations(
        "grid-registry",
        RegistryConfig::load,
        |c| &c.service.telemetry,
        platform::process::Migrations {
            database: |c| &c.service.database,
            migrator: &grid_registry::MIGRATOR,
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
