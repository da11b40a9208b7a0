//! The case-review domain. Pure: types, aggregates and their rules; time
//! arrives as an argument, and nothing here does I/O.
//!
//! - [`ids`]: the identifiers, newtypes over UUIDv7.
//! - [`expert`]: the expert registry and declarations of interest.
//! - [`review`]: the review aggregate: the request, its panel, opinions,
//!   recommendations and decision, and the rules between them.
//! - [`panel`]: the composition and conflict rules of a panel.
//! - [`opinion`]: opinions, their versions and their signatures.
//! - [`decision`]: the leadership's decision and what dispatch does with it.
//! - [`stats`]: the statistics of reviews.
//! - [`worklist`]: policies broken into villages' work items (一套明细单),
//!   their lights, progress, verification and closing.

pub mod decision;
pub mod error;
pub mod expert;
pub mod ids;
pub mod opinion;
pub mod panel;
pub mod review;
pub mod stats;
pub mod worklist;

pub use error::DomainError;

/// Who acts when no person does: referrals and reminders.
pub const SERVICE: &str = "case-review";

/// Returns whether two names of a party or organisation are the same one:
/// spaces around them and letter case do not count.
pub fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}
