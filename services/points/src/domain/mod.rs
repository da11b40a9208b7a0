//! The points domain. Pure: types, aggregates and their rules; time arrives
//! as an argument, and nothing here does I/O.
//!
//! - [`ids`]: the identifiers, newtypes over UUIDv7.
//! - [`resident`]: residents and households, and their registration.
//! - [`report`]: a report and its lifecycle as its ticket moves through
//!   dispatch.
//! - [`ledger`]: accounts, postings and entries, and the ledger's rules
//!   (never negative, idempotent by key, corrections by compensating entry).
//! - [`expiry`]: which points lapse at a year end.
//! - [`catalog`]: catalogue items and orders.
//! - [`rules`]: award rules and caps; [`photos`]: photo references.

pub mod catalog;
pub mod contact;
pub mod error;
pub mod expiry;
pub mod ids;
pub mod ledger;
pub mod photos;
pub mod report;
pub mod resident;
pub mod rules;

pub use error::DomainError;

/// Who acts when no person does: awards and reversals of reports filed by
/// residents themselves, and the expiry worker.
pub const SERVICE: &str = "points";
