//! The ticket-dispatch binary: `ticket-dispatch` serves, `ticket-dispatch migrate` applies the
//! migrations and exits, `ticket-dispatch --check-config` validates the configuration.

use std::process::ExitCode;

use ticket_dispatch::{App, DispatchConfig};

#[tokio::main]
async fn main() -> ExitCode {
    platform::process::service_main_with_migrations(
        "ticket-dispatch",
        DispatchConfig::load,
        |c| &c.service.telemetry,
        platform::process::Migrations {
            database: |c| &c.service.database,
            migrator: &ticket_dispatch::MIGRATOR,
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
