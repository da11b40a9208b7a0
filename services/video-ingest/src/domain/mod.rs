//! The video domain. Pure: types, aggregates and their rules; time arrives
//! as an argument, and nothing here does I/O.
//!
//! - [`gbid`]: GB/T 28181 20-digit codes and what they say.
//! - [`camera`]: devices, their channels (cameras), kinds and owners.
//! - [`digest`]: SIP Digest (MD5, qop=auth) as devices answer it.
//! - [`registration`]: nonces, registration, keepalive and the offline
//!   deadline.
//! - [`availability`]: the online rate per owner or grid over time, from
//!   the devices' status history.
//! - [`catalog`]: a catalogue sync across packets.
//! - [`alarm`]: an alarm a device reports, and whether it can be used.
//! - [`incident`]: analytic events and the incidents they (and alarms)
//!   make.
//! - [`rules`]: which incidents become tickets, for whom, how urgent.
//! - [`evidence`]: clips, their files and hashes, holds and retention.
//! - [`custody`]: the hash-chained custody and access log.
//! - [`disclosure`]: applications to see footage, their review and copies.
//! - [`ids`]: the identifiers made here.

pub mod alarm;
pub mod availability;
pub mod camera;
pub mod catalog;
pub mod custody;
pub mod digest;
pub mod disclosure;
pub mod error;
pub mod evidence;
pub mod gbid;
pub mod ids;
pub mod incident;
pub mod outage;
pub mod registration;
pub mod rules;

pub use error::DomainError;

/// Who acts when no person does: the gateway and the timers.
pub const SERVICE: &str = "video";
