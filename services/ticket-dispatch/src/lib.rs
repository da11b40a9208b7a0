//! # ticket-dispatch
//!
//! Every report and hotline work order, to whoever must handle it before
//! its deadline, followed to the end: intake from every channel, triage to
//! the micro-grid or the town centre's single desk, the life of a ticket as
//! an explicit state machine, deadlines on working-day calendars that start
//! at dispatch, warnings and escalation.
//!
//! This crate holds the domain so far: the state machine
//! ([`domain::state`]), the business calendar ([`domain::calendar`]) and
//! deadline clocks ([`domain::deadline`]). The gRPC service, its database
//! and events follow (see the open issue).

pub mod domain;
