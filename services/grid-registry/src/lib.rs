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

pub mod api;
pub mod app;
pub mod config;
pub mod domain;
pub mod events;
pub mod index;
pub mod listener;
pub mod repository;
pub mod testing;

pub use app::App;
pub use config::RegistryConfig;

/// The registry's own migrations (the platform adds its tables).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
