//! The dispatch domain. Pure: time arrives as an argument, no I/O.
//!
//! - [`ticket`]: the ticket aggregate (with its co-handlers' [`task`]s),
//!   every change a method that checks the rule and returns what happened;
//! - [`state`]: the state machine every move is checked against;
//! - [`deadline`], [`calendar`], [`timer`], [`escalation`]: clocks,
//!   working days, warnings and breaches, and the chain up;
//! - [`intake`], [`channel`], [`category`], [`grid`], [`unit`]: what a new
//!   ticket is made of, where it goes first and who holds it;
//! - [`leg`]: every stretch in one unit's hands, with its own deadline;
//! - [`extension`]: requests for more time;
//! - [`referral`]: referral to case review and its decision carried out;
//! - [`stats`]: the KPIs and the assessment of villages;
//! - [`ids`], [`error`]: identities and refusals;
//! - `fixtures`: values for tests (feature `testkit`).

pub mod calendar;
pub mod category;
pub mod channel;
pub mod deadline;
pub mod error;
pub mod escalation;
pub mod extension;
#[cfg(any(test, feature = "testkit"))]
pub mod fixtures;
pub mod grid;
pub mod ids;
pub mod intake;
pub mod leg;
pub mod placement;
#[cfg(test)]
mod properties;
pub mod referral;
pub mod state;
pub mod stats;
pub mod task;
pub mod ticket;
pub mod timer;
pub mod unit;
