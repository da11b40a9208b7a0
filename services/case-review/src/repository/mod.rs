//! The case-review tables, in SQL. Every function takes the caller's
//! connection, so that a call's changes, its idempotency key and its events
//! commit together; each takes and returns domain types. Rows become domain
//! types through `TryFrom`: a stored value this version does not know is an
//! error naming table, column and value, never a default.

pub mod experts;
pub mod reviews;
pub mod stats;
pub mod worklists;

use platform::error::UnknownStoredValue;

/// Returns `value`, stored in `table`.`column`, parsed by `parse`.
fn parse_stored<T>(
    table: &'static str,
    column: &'static str,
    value: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, UnknownStoredValue> {
    parse(value).ok_or_else(|| UnknownStoredValue::new(table, column, value))
}

/// Returns stored bytes of a fixed length.
fn stored_bytes<const N: usize>(
    table: &'static str,
    column: &'static str,
    value: &[u8],
) -> Result<[u8; N], UnknownStoredValue> {
    value
        .try_into()
        .map_err(|_| UnknownStoredValue::new(table, column, format!("{} bytes", value.len())))
}

/// Returns a stored count, which is never negative.
fn stored_count(
    table: &'static str,
    column: &'static str,
    value: i32,
) -> Result<u32, UnknownStoredValue> {
    u32::try_from(value).map_err(|_| UnknownStoredValue::new(table, column, value.to_string()))
}

/// Returns the domain value of one row.
fn decode<R, T>(row: R) -> Result<T, sqlx::Error>
where
    T: TryFrom<R, Error = UnknownStoredValue>,
{
    T::try_from(row).map_err(sqlx::Error::from)
}

/// Returns the domain values of rows.
fn decode_all<R, T>(rows: Vec<R>) -> Result<Vec<T>, sqlx::Error>
where
    T: TryFrom<R, Error = UnknownStoredValue>,
{
    rows.into_iter().map(decode).collect()
}
