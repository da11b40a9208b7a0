//! The audit trail of restricted reads (`read_audit`): append-only, the
//! table's triggers refuse a change or deletion.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// What was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadObject {
    /// A joint case, with its parties.
    Case(Uuid),
    /// An information check's answer.
    Check(Uuid),
}

/// One restricted read.
#[derive(Debug, Clone)]
pub struct AuditedRead<'a> {
    pub object: ReadObject,
    pub subject: &'a str,
    pub role: &'a str,
    /// Parties or findings shown.
    pub records: usize,
    pub at: DateTime<Utc>,
}

/// Appends a read to the trail.
#[tracing::instrument(skip_all)]
pub async fn log_read(conn: &mut PgConnection, read: &AuditedRead<'_>) -> Result<(), sqlx::Error> {
    let (kind, id) = match read.object {
        ReadObject::Case(id) => ("CASE", id),
        ReadObject::Check(id) => ("CHECK", id),
    };
    sqlx::query(
        "INSERT INTO read_audit (read_id, object_kind, object_id, subject, role, records, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(Uuid::now_v7())
    .bind(kind)
    .bind(id)
    .bind(read.subject)
    .bind(read.role)
    .bind(i32::try_from(read.records).unwrap_or(i32::MAX))
    .bind(read.at)
    .execute(conn)
    .await?;
    Ok(())
}
