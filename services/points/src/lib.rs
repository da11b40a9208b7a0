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

pub mod api;
pub mod app;
pub mod config;
pub mod domain;
pub mod events;
pub mod expiry;
pub mod repository;
pub mod testing;
pub mod tickets;
pub mod workers;

pub use app::App;
pub use config::PointsConfig;

/// The points migrations (the platform adds its tables).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
