//! The case-exchange binary: `case-exchange` serves; `case-exchange
//! migrate` applies the migrations and exits; `case-exchange probe [URL]`
//! asks whether it is ready; `--check-config` validates the configuration.
//! `case-exchange dev-pki [DIR]` makes the development CA and the three
//! towns' keys, certificates and allow-lists (default `.dev/exchange`).

use std::path::PathBuf;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("dev-pki") {
        let root = PathBuf::from(args.get(1).map_or(".dev/exchange", String::as_str));
        let towns = case_exchange::pki::dev_towns(&root, [50156, 50157, 50158]);
        return match case_exchange::pki::dev_pki(&root, &towns) {
            Ok(()) => {
                println!(
                    "case-exchange: development CA and the keys of langxia, guangchen and xindai in {}",
                    root.display()
                );
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("case-exchange: {err:#}");
                ExitCode::FAILURE
            }
        };
    }
    platform::process::main::<case_exchange::App>().await
}
