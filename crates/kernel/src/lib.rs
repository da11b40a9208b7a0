//! The building blocks every service's `domain/` may import: the [`id!`]
//! macro for identifier newtypes over time-ordered UUIDs,
//! [`FieldViolation`], one broken input rule, and [`chain`], the
//! hash-chained log. Pure: std, uuid and sha2 only, no
//! I/O, nothing of the platform, so a domain stays pure and its violations
//! still reach the gRPC edge unchanged (`platform::error::FieldViolation`
//! is this type).

pub mod chain;
mod ids;
mod violation;

pub use violation::{FieldViolation, describe};

/// The UUID crate, for the code [`id!`] writes.
#[doc(hidden)]
pub use uuid;
