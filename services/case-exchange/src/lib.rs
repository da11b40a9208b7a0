//! # case-exchange
//!
//! The node of this town in the federation of neighbouring towns across
//! the provincial border (Langxia in Shanghai; Guangchen and Xindai in
//! Pinghu, Zhejiang). Every town runs the same service as its node; nobody
//! is above them. Nodes trust only allow-listed peers (by CA, endpoint and
//! signing key), speak by mutual TLS on a port of their own, and every
//! message is a signed envelope kept in a hash-chained log as evidence.
//!
//! - Owns `joint_cases`, `case_moves`, `deliveries` (the store-and-forward
//!   queue), `received_messages`, `message_log` (hash-chained, append-only)
//!   and `refusals`, `checks` (information checks asked from here),
//!   `risks` (the shared risk list), `alerts` (CAP 1.2 alerts),
//!   `members` and `alert_acks` (the alliance, the joint defence groups and
//!   who acknowledged each alert) and
//!   `read_audit` (append-only, every restricted read) (and the platform's
//!   `outbox`, `inbox`, `idempotency_keys`) in the database
//!   `weigrid_exchange`.
//! - Serves `weigrid.exchange.v1.ExchangeService` to local callers and
//!   `weigrid.exchange.v1.PeerService` to peer nodes (peer.proto).
//! - Publishes `exchange.case.moved`, `exchange.alert.fanned_out`,
//!   `exchange.delivery.{deadline_warning,deadline_failed}` and, for
//!   dispatch, `exchange.ticket.requested` (a CROSS_BORDER ticket for a
//!   case reported here, a ticket for a person when a deadline fails) on
//!   the `EXCHANGE` stream; follows `dispatch.ticket.{received,closed}` on
//!   `DISPATCH` to tell the other side its ticket's number and closure.
//!
//! The modules, each importing only those above it:
//!
//! - [`domain`]: node ids, envelopes and their signatures, trust, the
//!   message log's chain, the joint case's state machine, the sharing
//!   policy, deliveries and their deadlines; pure.
//! - [`repository`]: the SQL, taking and returning domain types.
//! - [`convert`]: domain types as protobuf messages; [`events`]: the
//!   stream, subjects and the events published.
//! - [`pki`]: keys, certificates and the allow-list on disk, and the
//!   development PKI; [`peers`]: the client of a peer's port.
//! - [`application`]: one function per use case, in a unit of work.
//! - [`api`] (the local API and the peer port), [`workers`] (a sender per
//!   peer, the deadline timer) and [`consumers`] (dispatch's ticket
//!   events) call the use cases.
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
pub mod peers;
pub mod pki;
pub mod repository;
#[cfg(any(test, feature = "testkit"))]
pub mod testing;
pub mod workers;

pub use app::App;
pub use config::ExchangeConfig;

/// The exchange's migrations (the platform adds its tables).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
