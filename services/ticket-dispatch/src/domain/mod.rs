//! The dispatch domain. Pure: time arrives as an argument, no I/O.

pub mod calendar;
pub mod channel;
pub mod deadline;
pub mod escalation;
pub mod state;
pub mod stats;
