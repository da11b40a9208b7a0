//! The ticket-dispatch binary.

use std::process::ExitCode;

use ticket_dispatch::{App, DispatchConfig};

#[tokio::main]
async fn main() -> ExitCode {
    platform::process::service_main(
        "ticket-dispatch",
        DispatchConfig::load,
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
