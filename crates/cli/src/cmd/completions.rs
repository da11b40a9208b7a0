//! `weigrid completions SHELL`: a completion script for bash, zsh, fish,
//! PowerShell or elvish, generated from the command definitions.

use std::io::Write as _;

use clap::{Args, CommandFactory as _};
use clap_complete::Shell;

use crate::cli::Cli;

/// `weigrid completions`.
#[derive(Args)]
#[command(
    after_help = "Install, e.g.: weigrid completions bash > ~/.local/share/bash-completion/completions/weigrid"
)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: Shell,
}

impl CompletionsArgs {
    /// Prints the completion script to standard output; a closed pipe
    /// (`weigrid completions bash | head`) is not an error.
    ///
    /// # Errors
    /// Standard output cannot be written.
    pub fn execute(self) -> anyhow::Result<()> {
        match std::io::stdout()
            .lock()
            .write_all(script(self.shell).as_bytes())
        {
            Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(err.into()),
            _ => Ok(()),
        }
    }
}

/// Returns the completion script of `weigrid` for `shell`.
pub fn script(shell: Shell) -> String {
    let mut buffer = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "weigrid", &mut buffer);
    String::from_utf8(buffer).expect("completion scripts are UTF-8")
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum as _;

    use super::*;

    #[test]
    fn the_bash_script_completes_the_groups_their_commands_and_typed_values() {
        let bash = script(Shell::Bash);
        for word in [
            "weigrid",
            "grid",
            "ticket",
            "points",
            "stats",
            "seed",
            "completions",
            "resolve",
            "reopen",
            "--by",
        ] {
            assert!(bash.contains(word), "{word} missing from the bash script");
        }
        assert!(
            bash.contains("channel unit village"),
            "the values of stats --by"
        );
        assert!(
            bash.contains("report-untrue"),
            "the values of ticket reopen --cause"
        );
    }

    #[test]
    fn every_shell_gets_a_script() {
        for shell in Shell::value_variants() {
            assert!(script(*shell).contains("weigrid"), "{shell}");
        }
        let parsed = crate::cli::parse("weigrid completions zsh").unwrap();
        assert!(matches!(
            parsed.command,
            crate::cli::Command::Completions(CompletionsArgs { shell: Shell::Zsh })
        ));
    }
}
