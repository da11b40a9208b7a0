//! The SQL side of a hash-chained log (the kernel's `kernel::chain`): a
//! table with `seq BIGINT` and `entry_hash BYTEA` columns, appended to
//! under a transaction-scoped advisory lock so that entries chain in one
//! line however many calls log at once.

use kernel::chain::{GENESIS, Hash};
use sqlx::PgConnection;

use crate::error::UnknownStoredValue;

/// Returns a stored hash of `table`.`column`.
///
/// # Errors
/// The value is not 32 bytes.
pub fn stored_hash(
    table: &'static str,
    column: &'static str,
    bytes: &[u8],
) -> Result<Hash, UnknownStoredValue> {
    bytes.try_into().map_err(|_| {
        UnknownStoredValue::new(
            table,
            column,
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        )
    })
}

/// Takes the advisory lock `lock` of `table`'s tail until the transaction
/// ends, and returns the next entry's sequence number and the hash it
/// chains to (1 and the genesis hash for an empty log).
///
/// # Errors
/// The database fails, or the last stored hash is not 32 bytes.
pub async fn lock_tail(
    conn: &mut PgConnection,
    lock: i64,
    table: &'static str,
) -> Result<(u64, Hash), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(lock)
        .execute(&mut *conn)
        .await?;
    let tail: Option<(i64, Vec<u8>)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT seq, entry_hash FROM {table} ORDER BY seq DESC LIMIT 1"
    )))
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match tail {
        Some((seq, prev)) => (
            u64::try_from(seq).unwrap_or(0) + 1,
            stored_hash(table, "entry_hash", &prev)?,
        ),
        None => (1, GENESIS),
    })
}
