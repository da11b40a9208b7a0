//! The video tables, in SQL. Every function takes the caller's connection,
//! so that a call's changes, its idempotency key and its events commit
//! together; each takes and returns domain types. Rows become domain types
//! through `TryFrom`: a stored value this version does not know is an error
//! naming table, column and value, never a default.

pub mod alarms;
pub mod applications;
pub mod catalog;
pub mod clips;
pub mod custody;
pub mod devices;
pub mod incidents;
pub mod nonces;
pub mod outages;
pub mod status_history;

use platform::error::UnknownStoredValue;

use crate::domain::gbid::GbId;

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

/// Returns a stored GB/T 28181 code (the tables' checks keep them 20 digits).
fn gb_id(
    table: &'static str,
    column: &'static str,
    stored: &str,
) -> Result<GbId, UnknownStoredValue> {
    GbId::parse(stored).map_err(|_| UnknownStoredValue::new(table, column, stored))
}

/// Returns a stored count (the tables keep them non-negative).
fn unsigned(stored: i32) -> u32 {
    u32::try_from(stored.max(0)).unwrap_or(0)
}

/// Returns a count to store.
fn signed(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}
