//! The ticket-dispatch binary: `ticket-dispatch` serves; `ticket-dispatch migrate` applies the
//! migrations and exits; `ticket-dispatch probe [URL]` asks whether it is ready;
//! `ticket-dispatch --check-config` validates the configuration.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    platform::process::main::<ticket_dispatch::App>().await
}
