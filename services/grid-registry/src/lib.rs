//! # grid-registry
//!
//! The registry of the town's grids: the four levels (town operations
//! centre → village and residential workstations → area grid points →
//! micro-grids of 20–50 households), who serves in each, the objects each
//! covers, the special-care people each looks after (a restricted store),
//! departments and safety domains, and who is responsible for what.
//!
//! - Owns the tables `grids`, `members`, `covered_objects`, `care_people`,
//!   `care_access_log`, `safety_domains`, `departments`,
//!   `department_object_kinds`, `department_domains`, `domain_duties` (and
//!   the platform's `outbox`, `inbox`, `idempotency_keys`), in the database
//!   `weigrid_registry`.
//! - Serves `weigrid.registry.v1.RegistryService` (see `proto/`), with
//!   `ResolveLocation` answered from an in-memory spatial index.
//! - Publishes `registry.grid.{created,updated}`,
//!   `registry.member.{added,removed}`, `registry.object.created`,
//!   `registry.department.upserted`, `registry.duty.assigned` on the
//!   `REGISTRY` stream; consumes only its own grid events, to keep every
//!   replica's index fresh.
//! - Asks no other service.
//!
//! Modules, each importing only those listed before it (no cycles):
//! - [`domain`]: levels and kinds, geometry, the aggregates with their rules
//!   and events, the spatial index; pure.
//! - [`repository`]: SQL, taking and returning domain types.
//! - [`convert`]: domain → protobuf, for the API, the events and the listener.
//! - [`events`]: the stream, subjects and domain event → outbox event.
//! - [`config`]: the registry's settings (beside the platform's).
//! - [`application`]: one function per use case, mutations inside the
//!   platform's unit of work.
//! - [`api`]: the gRPC service: decode, call one use case, encode.
//! - [`listener`]: keeps this replica's spatial index fresh.
//! - [`app`]: wiring. `testing` is the test kit, compiled only with the
//!   `testkit` feature.

pub mod api;
pub mod app;
pub mod application;
pub mod config;
pub mod convert;
pub mod domain;
pub mod events;
pub mod listener;
pub mod repository;
#[cfg(any(test, feature = "testkit"))]
pub mod testing;

pub use app::App;
pub use config::RegistryConfig;

/// The registry's own migrations (the platform adds its tables).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
