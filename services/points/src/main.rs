//! The points binary: `points` serves, `points migrate` applies the
//! migrations and exits, `points --check-config` validates the configuration.

use std::process::ExitCode;

use points::{App, PointsConfig};

#[tokio::main]
async fn main() -> ExitCode {
    platform::process::service_main_with_migrations(
        "points",
        PointsConfig::load,
        |c| &c.service.telemetry,
        platform::process::Migrations {
            database: |c| &c.service.database,
            migrator: &points::MIGRATOR,
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
