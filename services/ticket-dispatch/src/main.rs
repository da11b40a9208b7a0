//! The ticket-dispatch binary.

use std::process::ExitCode;

use ticket_dispatch::{App, DispatchConfig};

#[tokio::main]
async fn main() -> ExitCode {
    let config = match DispatchConfig::load() {
        Ok(config) => config,
        Err(err) => {
            // Telemetry is not up yet: configuration decides its format.
            eprintln!("ticket-dispatch: {err}");
            return ExitCode::from(2);
        }
    };
    let telemetry = match platform::telemetry::init("ticket-dispatch", &config.service.telemetry) {
        Ok(telemetry) => telemetry,
        Err(err) => {
            eprintln!("ticket-dispatch: {err:#}");
            return ExitCode::from(2);
        }
    };
    let outcome = async {
        let app = App::build(config).await?;
        app.run_until_stopped(platform::shutdown::signal()).await
    }
    .await;
    telemetry.shutdown();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(
                error = format!("{err:#}"),
                "ticket-dispatch stopped with an error"
            );
            eprintln!("ticket-dispatch: {err:#}");
            ExitCode::FAILURE
        }
    }
}
