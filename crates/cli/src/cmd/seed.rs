//! `weigrid seed langxia`: loads the Langxia data set through the
//! registry's public API, completing whatever an earlier load left out.

use clap::Subcommand;

use crate::connect::Registry;
use crate::load;
use crate::output::Output;

/// Data sets to load.
#[derive(Subcommand)]
pub enum SeedCommand {
    /// Loads the Langxia town data set into the registry: whatever is
    /// missing is added (an interrupted load resumes), whatever is there is
    /// left alone, and the answer says which.
    Langxia {
        /// Accepted for scripts written when a load was skipped once the
        /// town grid existed; every load now completes the data set.
        #[arg(long, hide = true)]
        force: bool,
    },
}

impl SeedCommand {
    /// Loads the data set and prints what was added and what was there.
    ///
    /// # Errors
    /// A call refused for anything but "already exists".
    pub async fn execute(self, registry: &Registry, output: Output) -> anyhow::Result<()> {
        match self {
            SeedCommand::Langxia { force: _ } => {
                let report = load::load(registry, &langxia::generate()).await?;
                output.print(&report.to_json(), || report.summary());
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::cli::parse;

    #[test]
    fn the_old_force_flag_still_parses() {
        assert!(parse("weigrid seed langxia --force").is_ok());
        assert!(parse("weigrid seed langxia").is_ok());
    }
}
