//! The ticket-dispatch binary: `ticket-dispatch` serves; `ticket-dispatch migrate` applies the
//! migrations and exits; `ticket-dispatch probe [URL]` asks whether it is ready;
//! `ticket-dispatch --check-config` validates the configuration.

use std::process::ExitCode;

use ticket_dispatch::{App, DispatchConfig};

#[tokio::main]
async fn main() -> ExitCode {
    platform::process::service_main_with_commands(
        "ticket-dispatch",
        DispatchConfig::load,
        |c| &c.service.telemetry,
        platform::process::Commands {
            database: |c| &c.service.database,
            grpc: |c| &c.service.grpc,
            migrator: &ticket_dispatch::MIGRATOR,
            health_service: "weigrid.dispatch.v1.DispatchService",
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
