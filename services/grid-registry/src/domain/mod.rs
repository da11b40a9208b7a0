//! The registry's domain: levels and kinds, the geometry rules grids obey,
//! and the checks a write must pass. Pure: no SQL, gRPC, NATS or proto here.

pub mod geometry;
pub mod grid;
pub mod kinds;
pub mod people;

pub use platform::error::FieldViolation;
