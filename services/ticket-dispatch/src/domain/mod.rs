//! The dispatch domain. Pure: time arrives as an argument, no I/O.

pub mod calendar;
pub mod deadline;
pub mod state;
