//! SQL, one file per table group. Functions take `&mut PgConnection`; the
//! caller owns the transaction.

pub mod care;
pub mod departments;
pub mod grids;
pub mod members;
pub mod objects;
