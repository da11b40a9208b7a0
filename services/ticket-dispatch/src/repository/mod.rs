//! SQL, one file per table group. Functions take `&mut PgConnection` (the
//! caller owns the transaction) and take and return domain types: private
//! row structs become domain values through `TryFrom`, and a stored value
//! this version does not know is an [`UnknownStoredValue`] naming the
//! table, column and value, never a default.

pub mod calendar;
pub mod categories;
pub mod extensions;
pub mod legs;
pub mod stats;
pub mod tasks;
pub mod tickets;
pub mod timers;

use platform::error::{UnknownStoredValue, stored_count};

use crate::domain::escalation::UnitKind;
use crate::domain::unit::UnitRef;

/// Returns `value`, stored in `table`.`column`, parsed by `parse`.
fn parse_stored<T>(
    table: &'static str,
    column: &'static str,
    value: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, UnknownStoredValue> {
    parse(value).ok_or_else(|| UnknownStoredValue::new(table, column, value))
}

/// Returns a count as stored (the counts kept are far below `i32::MAX`).
fn to_stored(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// Returns the unit stored as `kind` (in `table`.`column`), code and name.
fn stored_unit(
    table: &'static str,
    column: &'static str,
    kind: &str,
    code: String,
    name: String,
) -> Result<UnitRef, UnknownStoredValue> {
    Ok(UnitRef {
        kind: parse_stored(table, column, kind, UnitKind::parse)?,
        code,
        name,
    })
}

/// Returns the unit stored in nullable columns; `None` when no kind is
/// stored.
fn stored_optional_unit(
    table: &'static str,
    column: &'static str,
    kind: Option<&str>,
    code: Option<String>,
    name: Option<String>,
) -> Result<Option<UnitRef>, UnknownStoredValue> {
    kind.map(|kind| {
        stored_unit(
            table,
            column,
            kind,
            code.unwrap_or_default(),
            name.unwrap_or_default(),
        )
    })
    .transpose()
}
