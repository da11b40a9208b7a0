//! Extension requests (延期).

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

/// A stored extension request.
#[derive(Debug, Clone, FromRow)]
pub struct ExtensionRow {
    pub extension_id: Uuid,
    pub ticket_id: Uuid,
    pub days: i32,
    pub reason: String,
    pub state: String,
}

/// Records a pending request.
///
/// # Errors
/// `extensions_one_pending` when one is already pending, or the database fails.
pub async fn request(
    conn: &mut PgConnection,
    ext: &ExtensionRow,
    by: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO extensions (extension_id, ticket_id, days, reason, state, requested_by, requested_at)
         VALUES ($1, $2, $3, $4, 'PENDING', $5, $6)",
    )
    .bind(ext.extension_id)
    .bind(ext.ticket_id)
    .bind(ext.days)
    .bind(&ext.reason)
    .bind(by)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns a request, locked.
///
/// # Errors
/// The database fails.
pub async fn by_id_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<ExtensionRow>, sqlx::Error> {
    sqlx::query_as("SELECT extension_id, ticket_id, days, reason, state FROM extensions WHERE extension_id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Records the decision.
///
/// # Errors
/// The database fails.
pub async fn decide(
    conn: &mut PgConnection,
    id: Uuid,
    granted: bool,
    by: &str,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE extensions SET state = $2, decided_by = $3, decision_reason = $4, decided_at = $5 WHERE extension_id = $1",
    )
    .bind(id)
    .bind(if granted { "GRANTED" } else { "REFUSED" })
    .bind(by)
    .bind(reason)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}
