//! The points domain. Pure: time arrives as an argument, no I/O.

pub mod ledger;
pub mod photos;
pub mod rules;
