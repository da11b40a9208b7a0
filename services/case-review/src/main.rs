//! The case-review binary: `case-review` serves; `case-review migrate`
//! applies the migrations and exits; `case-review probe [URL]` asks whether
//! it is ready; `case-review --check-config` validates the configuration.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    platform::process::main::<case_review::App>().await
}
