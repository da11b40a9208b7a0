//! The grid-registry binary: `grid-registry` serves; `grid-registry migrate` applies the
//! migrations and exits; `grid-registry probe [URL]` asks whether it is ready;
//! `grid-registry --check-config` validates the configuration.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    platform::process::main::<grid_registry::App>().await
}
