//! The case-exchange domain. Pure: types, rules and cryptography over
//! bytes; time arrives as an argument, and nothing here does I/O.
//!
//! - [`ids`]: identifiers (shared case ids, message ids), UUIDv7 newtypes.
//! - [`node`]: a node's identity (province / county / town / service).
//! - [`envelope`]: the signed envelope, its canonical encoding, its hash,
//!   and the receipt; [`payload`]: what envelopes carry.
//! - [`trust`]: the allow-list of peers and what the peer port refuses.
//! - [`log`]: the hash-chained message log and its verification.
//! - [`case`]: the joint case, its state machine and its history.
//! - [`sharing`]: the sharing policy, per peer and message type.
//! - [`check`]: the joint information check; [`risk`]: the shared risk
//!   list; [`cap`]: CAP 1.2 alerts as XML; [`alliance`]: the alliance's
//!   and joint defence groups' members, and who acknowledged an alert.
//! - [`delivery`]: outgoing deliveries, their receipts, answers and
//!   deadlines.

pub mod alliance;
pub mod cap;
pub mod case;
pub mod check;
pub mod delivery;
pub mod envelope;
pub mod error;
pub mod ids;
pub mod log;
pub mod node;
pub mod payload;
pub mod risk;
pub mod sharing;
pub mod trust;

pub use error::DomainError;

use chrono::{DateTime, SubsecRound, Utc};

/// Returns `at` to the microsecond: what PostgreSQL keeps and what the
/// canonical encoding signs, so that both nodes hold the same times.
pub fn micros(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}
