//! `sip_nonces`: the digest challenges issued, so that each is answered
//! once and only in time, across restarts and replicas.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::domain::registration::Nonce;

/// A nonce as stored.
#[derive(sqlx::FromRow)]
struct NonceRow {
    nonce: String,
    device_id: String,
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
}

impl From<NonceRow> for Nonce {
    fn from(r: NonceRow) -> Self {
        Nonce {
            value: r.nonce,
            device_id: r.device_id,
            issued_at: r.issued_at,
            expires_at: r.expires_at,
            used_at: r.used_at,
        }
    }
}

/// Records a nonce issued.
///
/// # Errors
/// The database fails.
pub async fn insert(conn: &mut PgConnection, n: &Nonce) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sip_nonces (nonce, device_id, issued_at, expires_at, used_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&n.value)
    .bind(&n.device_id)
    .bind(n.issued_at)
    .bind(n.expires_at)
    .bind(n.used_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns a nonce, locked for update: two answers with the same nonce
/// arriving together are taken one after the other.
///
/// # Errors
/// The database fails.
pub async fn load_for_update(
    conn: &mut PgConnection,
    value: &str,
) -> Result<Option<Nonce>, sqlx::Error> {
    let row: Option<NonceRow> = sqlx::query_as(
        "SELECT nonce, device_id, issued_at, expires_at, used_at FROM sip_nonces
         WHERE nonce = $1 FOR UPDATE",
    )
    .bind(value)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Nonce::from))
}

/// Records that a nonce was answered.
///
/// # Errors
/// The database fails.
pub async fn mark_used(conn: &mut PgConnection, n: &Nonce) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sip_nonces SET used_at = $2 WHERE nonce = $1")
        .bind(&n.value)
        .bind(n.used_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes nonces that expired before `before`; returns how many.
///
/// # Errors
/// The database fails.
pub async fn purge(conn: &mut PgConnection, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM sip_nonces WHERE expires_at < $1")
        .bind(before)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}
