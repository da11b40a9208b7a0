//! The points binary: `points` serves; `points migrate` applies the
//! migrations and exits; `points probe [URL]` asks whether it is ready;
//! `points --check-config` validates the configuration.

use std::process::ExitCode;

use points::{App, PointsConfig};

#[tokio::main]
async fn main() -> ExitCode {
    platform::process::service_main_with_commands(
        "points",
        PointsConfig::load,
        |c| &c.service.telemetry,
        platform::process::Commands {
            database: |c| &c.service.database,
            grpc: |c| &c.service.grpc,
            migrator: &points::MIGRATOR,
            health_service: "weigrid.points.v1.PointsService",
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
