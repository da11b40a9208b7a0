//! The registry's API tests: each runs a registry over its own database
//! (`#[sqlx::test]`) and its own NATS subject prefix, and calls it over gRPC.

mod care;
mod events;
mod grids;
mod helpers;
mod import;
mod lifecycle;
mod members;
mod objects;
mod policy;
mod replicas;
mod resolve;
mod responsible;
mod stored;
