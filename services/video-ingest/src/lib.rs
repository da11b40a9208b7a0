//! # video-ingest
//!
//! The town's cameras and the high-risk enterprises' monitoring, as they
//! register over GB/T 28181: the camera registry (devices and channels
//! with their 20-digit codes, kind, owner, location and micro-grid, stream
//! reference and status), the SIP device gateway (registration with
//! Digest, keepalives and the persisted offline deadline, catalogue syncs
//! across packets, alarms), and device health. No media passes here.
//!
//! - Owns `devices`, `channels`, `sip_nonces`, `catalog_syncs`,
//!   `catalog_sync_items`, `alarms`, `outages`, `incidents`,
//!   `incident_events`, `ticket_rules`, `incident_tickets` (and the platform's `outbox`, `inbox`,
//!   `idempotency_keys`) in the database `weigrid_video`.
//! - Serves `weigrid.video.v1.VideoService` over gRPC, and SIP (UDP and
//!   TCP) on `sip.listen`.
//! - Asks the grid registry (ResolveLocation) where each camera is.
//! - Publishes `video.device.{put,registered,unregistered,online,offline}`,
//!   `video.catalog.synced`, `video.alarm.received` on the `VIDEO` stream,
//!   `video.analytic.received` (directly, acknowledged, by
//!   StreamAnalyticEvents), `video.incident.opened`, and
//!   `video.ticket.requested` (dispatch's `TicketRequested`).
//! - Consumes its own `video.analytic.received` into `incidents`
//!   ([`consumers`]).
//!
//! The modules, each importing only those above it:
//!
//! - [`domain`]: codes, devices and cameras, digest, registration and
//!   keepalive, catalogue syncs, alarms; pure.
//! - [`repository`]: the SQL, taking and returning domain types.
//! - [`registry`]: the grid registry's client.
//! - [`convert`]: domain types as protobuf messages; [`events`]: the
//!   stream, subjects and the events published.
//! - [`application`]: one function per use case, in a unit of work.
//! - [`api`] (gRPC), [`gateway`] (SIP) and [`workers`] (health timers) call
//!   the use cases.
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
pub mod gateway;
pub mod registry;
pub mod repository;
pub mod store;
#[cfg(any(test, feature = "testkit"))]
pub mod testing;
pub mod workers;

pub use app::App;
pub use config::VideoConfig;

/// The video migrations (the platform adds its tables).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
