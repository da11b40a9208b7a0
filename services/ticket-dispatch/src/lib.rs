//! # ticket-dispatch
//!
//! Every report and hotline work order, to whoever must handle it before its
//! deadline, followed to the end.
//!
//! - Owns `categories`, `calendar_days`, `tickets`, `ticket_transitions`,
//!   `ticket_timers`, `extensions` (and the platform's `outbox`, `inbox`,
//!   `idempotency_keys`) in the database `weigrid_dispatch`.
//! - Serves `weigrid.dispatch.v1.DispatchService`.
//! - Asks the grid registry where a location is and who is responsible.
//! - Publishes `dispatch.ticket.{received,dispatched,accepted,started,
//!   returned,resolved,verified,followed_up,closed,reopened,escalated,
//!   deadline_warning,deadline_breached}` on the `DISPATCH` stream.
//! - Timers are rows claimed with `FOR UPDATE SKIP LOCKED`: durable across
//!   restarts, fired once with several replicas; time comes from an
//!   injectable clock.

pub mod api;
pub mod app;
pub mod config;
pub mod domain;
pub mod events;
pub mod intake_events;
pub mod registry;
pub mod repository;
pub mod testing;
pub mod workers;
pub mod workflow;

pub use app::App;
pub use config::DispatchConfig;

/// The dispatch migrations (the platform adds its tables).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
