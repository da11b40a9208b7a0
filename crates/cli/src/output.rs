//! How answers are printed: text for people, JSON for scripts.

use std::io::Write as _;

use clap::ValueEnum;
use serde_json::Value;

/// The output format (`--output`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Aligned text for people.
    Text,
    /// Pretty-printed JSON for scripts.
    Json,
}

impl Output {
    /// Prints `value` as JSON, or the text `text` makes (only made when
    /// printed), to standard output.
    pub fn print(self, value: &Value, text: impl FnOnce() -> String) {
        match self {
            Output::Json => println!(
                "{}",
                serde_json::to_string_pretty(value).expect("JSON values serialise")
            ),
            Output::Text => {
                let text = text();
                let mut stdout = std::io::stdout().lock();
                // A closed pipe (`weigrid … | head`) is not an error worth reporting.
                let _ = writeln!(stdout, "{}", text.trim_end());
            }
        }
    }
}
