//! The points binary: `points` serves; `points migrate` applies the
//! migrations and exits; `points probe [URL]` asks whether it is ready;
//! `points --check-config` validates the configuration.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    platform::process::main::<points::App>().await
}
