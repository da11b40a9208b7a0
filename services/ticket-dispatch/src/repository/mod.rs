//! SQL, one file per table group. Functions take `&mut PgConnection`; the
//! caller owns the transaction.

pub mod categories;
pub mod extensions;
pub mod stats;
pub mod tasks;
pub mod tickets;
pub mod timers;
