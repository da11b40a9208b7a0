//! The registry's domain: levels and kinds, the geometry rules grids obey,
//! the aggregates (grids, members, covered objects, special-care people,
//! departments and duties) with the rules their changes obey and the events
//! those changes raise, and the in-memory spatial index. Pure: no SQL,
//! gRPC, NATS, generated code or platform here.

pub mod care;
pub mod department;
pub mod error;
pub mod geometry;
pub mod grid;
pub mod ids;
pub mod index;
pub mod kinds;
pub mod member;
pub mod object;
pub mod people;
pub mod responsibility;

pub use error::DomainError;
