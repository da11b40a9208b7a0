//! The points tables. Every function takes the caller's connection, so
//! that a call's changes, its idempotency key and its events commit
//! together.

pub mod catalog;
pub mod ledger;
pub mod reports;
pub mod residents;
