//! # ticket-dispatch
//!
//! Every report and hotline work order, to whoever must handle it before its
//! deadline, followed to the end.
//!
//! - Owns `categories`, `calendar_days`, `tickets`, `ticket_transitions`,
//!   `ticket_tasks`, `ticket_legs`, `ticket_timers`, `extensions` (and the platform's
//!   `outbox`, `inbox`, `idempotency_keys`) in the database
//!   `weigrid_dispatch`.
//! - Serves `weigrid.dispatch.v1.DispatchService`.
//! - Asks the grid registry where a location is and who is responsible.
//! - Publishes `dispatch.ticket.{received,dispatched,accepted,started,
//!   returned,resolved,verified,followed_up,closed,reopened,escalated,
//!   deadline_warning,deadline_breached,supervision_warning,rejected}` on the
//!   `DISPATCH` stream, and
//!   consumes `<context>.ticket.requested` from the configured streams.
//! - Timers are rows claimed with `FOR UPDATE SKIP LOCKED`: durable across
//!   restarts, fired once with several replicas; time comes from an
//!   injectable clock.
//!
//! Modules, each importing only those above it:
//!
//! - [`domain`]: the ticket aggregate, its state machine, clocks and
//!   rules; pure;
//! - [`repository`]: SQL, taking and returning domain values;
//! - [`registry`]: the grid registry's client, answering in domain values;
//! - [`convert`]: domain ⇄ protobuf; [`events`]: the stream and the
//!   domain events as outbox events;
//! - [`application`]: one function per use case, inside the platform's
//!   unit of work;
//! - [`api`] (gRPC), [`consumers`] (events), [`workers`] (timers, the
//!   router): decode, call a use case, encode;
//! - [`app`], [`config`]: wiring; [`testing`]: the test kit (feature
//!   `testkit`).

pub mod api;
pub mod app;
pub mod application;
pub mod config;
pub mod consumers;
pub mod convert;
pub mod domain;
pub mod events;
pub mod registry;
pub mod repository;
#[cfg(any(test, feature = "testkit"))]
pub mod testing;
pub mod workers;

pub use app::App;
pub use config::DispatchConfig;

/// The dispatch migrations (the platform adds its tables).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
