//! `weigrid`: the command-line client for every weigrid service.
//!
//! It acts as a role of your choosing: with a token from the identity
//! provider (`--token-file`, `WEIGRID_TOKEN`, or a configuration file's
//! `token_file`) it sends that token; otherwise it mints a development token
//! for `--role` and `--scope` with the development secret, which services
//! accept only in `auth.mode = "dev"` on their own machine. `https://`
//! addresses speak TLS (`--ca-cert`; `--cert` and `--key` for mutual TLS). The commands live in the library (`weigrid_cli::cli`
//! and `weigrid_cli::cmd`); this file parses, runs and reports the outcome.

use std::process::ExitCode;

use weigrid_cli::cli::Cli;
use weigrid_cli::output::Output;
use weigrid_cli::render;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = match Cli::load() {
        Ok(cli) => cli,
        Err(err) => {
            eprintln!("error: {err:#}");
            return ExitCode::from(2);
        }
    };
    let output = cli.output;
    let without_client_cert = cli.cert.is_none();
    match cli.execute().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // A service's refusal is reported as its status (with every
            // field violation); anything else as the error chain.
            match err.downcast::<tonic::Status>() {
                Ok(status) => match output {
                    Output::Json => println!("{}", render::status_json(&status)),
                    Output::Text => {
                        eprintln!("error: {}", render::status(&status));
                        if without_client_cert && render::transport_failure(&status) {
                            eprintln!("{}", render::MUTUAL_TLS_HINT);
                        }
                    }
                },
                Err(err) => eprintln!("error: {err:#}"),
            }
            ExitCode::FAILURE
        }
    }
}
