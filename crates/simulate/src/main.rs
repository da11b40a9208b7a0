//! `weigrid-year`: a year of Langxia's ticket traffic replayed through the
//! real services, on the same plan with supervision and without it, and
//! the two annual reports side by side.

use clap::{Parser, ValueEnum};
use weigrid_simulate::report;
use weigrid_simulate::year::{self, Options};

#[derive(Parser)]
#[command(
    name = "weigrid-year",
    about = "Replays a year of Langxia's tickets through the real services, with and without supervision"
)]
struct Args {
    /// Multiplies every volume (1 = the source's year; at most 200).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// The year to simulate (its holidays should be in the calendar).
    #[arg(long, default_value_t = 2026)]
    year: i32,
    /// Villager reports through the mini-program, before scaling.
    #[arg(long, default_value_t = 300)]
    villager_reports: u32,
    /// Seed of the traffic generator.
    #[arg(long, default_value_t = 2022)]
    seed: u64,
    /// Which runs: both (the comparison), or one of them.
    #[arg(long, value_enum, default_value_t = Runs::Both)]
    runs: Runs,
    /// Keep the replay's databases afterwards (to look at them).
    #[arg(long)]
    keep: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Runs {
    Both,
    Supervised,
    Unsupervised,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // Escalations and warnings are part of the year; the report tells them.
    platform::telemetry::init_quiet("error");
    let admin_url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let options = |supervision| Options {
        scale: args.scale,
        year: args.year,
        villager_reports: args.villager_reports,
        seed: args.seed,
        supervision,
        keep: args.keep,
    };
    let mut years = Vec::new();
    for supervision in [true, false] {
        let wanted = match args.runs {
            Runs::Both => true,
            Runs::Supervised => supervision,
            Runs::Unsupervised => !supervision,
        };
        if wanted {
            years.push(year::replay(options(supervision), &admin_url).await?);
        }
    }
    println!("{}", report::years(&years));
    Ok(())
}
