//! The exchange's tables, in SQL. Every function takes the caller's
//! connection, so that a change, its idempotency key, its log entry and its
//! events commit together; each takes and returns domain types. Rows
//! become domain types through `TryFrom`: a stored value this version does
//! not know is an error naming table, column and value, never a default.

pub mod alerts;
pub mod audit;
pub mod cases;
pub mod checks;
pub mod deliveries;
pub mod log;
pub mod members;
pub mod received;
pub mod refusals;
pub mod risks;

use platform::error::UnknownStoredValue;

use crate::domain::node::NodeId;

/// Returns the domain value of one row.
fn decode<R, T>(row: R) -> Result<T, sqlx::Error>
where
    T: TryFrom<R, Error = UnknownStoredValue>,
{
    T::try_from(row).map_err(sqlx::Error::from)
}

/// Returns the domain value of a row, if there is one.
fn decode_optional<R, T>(row: Option<R>) -> Result<Option<T>, sqlx::Error>
where
    T: TryFrom<R, Error = UnknownStoredValue>,
{
    row.map(decode).transpose()
}

/// Returns the domain values of rows.
fn decode_all<R, T>(rows: Vec<R>) -> Result<Vec<T>, sqlx::Error>
where
    T: TryFrom<R, Error = UnknownStoredValue>,
{
    rows.into_iter().map(decode).collect()
}

/// Returns the node stored in `table`.`column`.
fn node(
    table: &'static str,
    column: &'static str,
    text: &str,
) -> Result<NodeId, UnknownStoredValue> {
    NodeId::parse(text).ok_or_else(|| UnknownStoredValue::new(table, column, text))
}

/// Returns a stored count (the tables' checks keep them non-negative).
fn unsigned(stored: i32) -> u32 {
    u32::try_from(stored.max(0)).unwrap_or(0)
}

// A 32-byte hash stored in `table`.`column`.
use platform::chained::stored_hash as hash;
