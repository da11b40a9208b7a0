//! The chassis every weigrid service stands on. It knows no bounded context:
//! configuration, telemetry, the database pool and migrations, the event bus
//! with its transactional outbox and inbox, idempotency keys, the gRPC server
//! and client scaffolds, authentication, errors, masking of personal data,
//! an injectable clock and shutdown signals.
//!
//! A service wires these together in `App::build` (see `STYLE.md` §5); tests
//! call the same pieces with a manual clock and a private NATS subject prefix.

pub mod auth;
#[cfg(any(test, feature = "testkit"))]
pub mod bench;
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
pub mod outbox;
pub mod process;
pub mod shutdown;
pub mod telemetry;
#[cfg(any(test, feature = "testkit"))]
pub mod testing;
pub mod time;
pub mod uow;
