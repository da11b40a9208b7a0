//! `weigrid seed langxia`: loads the Langxia data set through the
//! registry's public API, then its cameras through video ingest's,
//! completing whatever an earlier load left out.

use clap::Subcommand;

use crate::connect::{self, Identity};
use crate::output::Output;
use crate::{load, load_video};

/// Data sets to load.
#[derive(Subcommand)]
pub enum SeedCommand {
    /// Loads the Langxia town data set into the registry, then its cameras
    /// into video ingest (which places each in its micro-grid through the
    /// registry): whatever is missing is added (an interrupted load
    /// resumes), whatever is there is left alone, and the answer says which.
    Langxia {
        /// Accepted for scripts written when a load was skipped once the
        /// town grid existed; every load now completes the data set.
        #[arg(long, hide = true)]
        force: bool,
        /// Loads only the cameras (the registry already holds the town).
        #[arg(long)]
        cameras_only: bool,
    },
}

impl SeedCommand {
    /// Loads the data set and prints what was added and what was there.
    ///
    /// # Errors
    /// A service that cannot be reached, or a call refused for anything
    /// but "already exists".
    pub async fn execute(
        self,
        registry: &str,
        video: &str,
        identity: &Identity,
        output: Output,
    ) -> anyhow::Result<()> {
        match self {
            SeedCommand::Langxia {
                force: _,
                cameras_only,
            } => {
                let town = langxia::generate();
                if !cameras_only {
                    let client = connect::registry(registry, identity).await?;
                    let report = load::load(&client, &town).await?;
                    output.print(&report.to_json(), || report.summary());
                }
                let client = connect::video(video, identity).await?;
                let report = load_video::load(&client, &town).await?;
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
