//! The building blocks every service's `domain/` may import: the [`id!`]
//! macro for identifier newtypes over time-ordered UUIDs, and
//! [`FieldViolation`], one broken input rule. Pure: std and uuid only, no
//! I/O, nothing of the platform, so a domain stays pure and its violations
//! still reach the gRPC edge unchanged (`platform::error::FieldViolation`
//! is this type).

mod ids;
mod violation;

pub use violation::{FieldViolation, describe};

/// The UUID crate, for the code [`id!`] writes.
#[doc(hidden)]
pub use uuid;
