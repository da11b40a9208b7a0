//! The chassis every weigrid service stands on. It knows no bounded context:
//! configuration, telemetry, the database pool and migrations, the event bus
//! with its transactional outbox and inbox, idempotency keys, the gRPC server
//! and client scaffolds, authentication, errors, masking of personal data,
//! an injectable clock and shutdown signals.
//!
//! A service's `App` implements [`service::Service`] once and stands on a
//! [`service::Base`] (see `STYLE.md` §5); its binary is
//! [`process::main`], and its test kit serves the same `App` with a manual
//! clock and a private NATS subject prefix (`testing::Served`).

pub mod auth;
pub mod authz;
#[cfg(any(test, feature = "testkit"))]
pub mod bench;
pub mod chained;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod events;
pub mod grpc;
pub mod housekeeping;
pub mod idempotency;
pub mod inbox;
pub mod mask;
pub mod metrics;
pub mod nearby;
pub mod objects;
pub mod outbox;
pub mod process;
pub mod service;
pub mod shutdown;
pub mod telemetry;
#[cfg(any(test, feature = "testkit"))]
pub mod testing;
pub mod time;
pub mod uow;
