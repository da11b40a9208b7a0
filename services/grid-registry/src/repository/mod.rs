//! SQL, one file per table group. Functions take `&mut PgConnection` (the
//! caller owns the transaction) and take and return domain types: rows
//! become them through `TryFrom`, and a stored value this version does not
//! know is an error naming the table, column and value, never a default.

pub mod care;
pub mod departments;
pub mod grids;
pub mod members;
pub mod objects;

use platform::error::AppError;
use uuid::Uuid;

use crate::domain::ids::GridId;

/// Decodes every row into its domain type.
fn decode<R, T: TryFrom<R, Error = AppError>>(rows: Vec<R>) -> Result<Vec<T>, AppError> {
    rows.into_iter().map(T::try_from).collect()
}

/// Returns grid ids as SQL binds them.
fn uuids(ids: &[GridId]) -> Vec<Uuid> {
    ids.iter().map(|id| id.0).collect()
}
