//! The points binary.

use std::process::ExitCode;

use points::{App, PointsConfig};

#[tokio::main]
async fn main() -> ExitCode {
    platform::process::service_main(
        "points",
        PointsConfig::load,
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
