//! # points
//!
//! Villagers' reports that the town verifies as true earn points, which they
//! exchange for daily goods, farm supplies or public services; the points
//! also count in village honours. The ledger is money-like: it never pays
//! twice, never goes negative and never loses an entry.
//!
//! - Owns `residents`, `households`, `accounts`, `award_rules`, `reports`,
//!   `ledger_entries` (append-only), `catalog_items`, `orders`,
//!   `expiry_runs` (and the platform's `outbox`, `inbox`,
//!   `idempotency_keys`) in the database `weigrid_points`.
//! - Serves `weigrid.points.v1.PointsService`.
//! - Asks dispatch for each report's ticket with `points.ticket.requested`
//!   and follows it through `dispatch.ticket.*`: verification posts the
//!   award once, reopening as untrue reverses it.
//! - Publishes `points.{report_submitted,awarded,reversed,redeemed,
//!   refunded,expired,adjusted}` on the `POINTS` stream.
//!
//! The modules, each importing only those above it:
//!
//! - [`domain`]: the aggregates (residents, reports, accounts and the
//!   ledger, orders) and their rules; pure.
//! - [`repository`]: the SQL, taking and returning domain types.
//! - [`convert`]: domain types as protobuf messages; [`events`]: the
//!   stream, subjects and the events published.
//! - [`application`]: one function per use case, in a unit of work.
//! - [`api`] (gRPC), [`consumers`] (dispatch's ticket events) and
//!   [`workers`] (the expiry timer) call the use cases.
//! - [`app`] and [`config`]: wiring; `testing`: the test kit, with the
//!   `testkit` feature.

pub mod api;
pub mod app;
pub mod application;
pub mod config;
pub mod consumers;
pub mod convert;
pub mod domain;
pub mod events;
pub mod repository;
#[cfg(any(test, feature = "testkit"))]
pub mod testing;
pub mod workers;

pub use app::App;
pub use config::PointsConfig;

/// The points migrations (the platform adds its tables).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
