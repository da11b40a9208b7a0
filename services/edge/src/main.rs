//! The edge binary: `edge` serves HTTP until SIGTERM; `edge --check-config`
//! validates the configuration and exits.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    platform::process::service_main(
        edge::App::NAME,
        edge::EdgeConfig::load,
        |config| &config.telemetry,
        |config| async move {
            edge::App::build(config)
                .await?
                .run_until_stopped(platform::shutdown::signal())
                .await
        },
    )
    .await
}
