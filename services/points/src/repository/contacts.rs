//! The contact access log: who read a reporter's contact, and why.

use sqlx::PgConnection;

use crate::domain::contact::ContactRead;

/// Records `read`.
///
/// # Errors
/// The database fails.
pub async fn record(conn: &mut PgConnection, read: &ContactRead) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO contact_access_log (access_id, subject, role, report_id, purpose, granted, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(read.id)
    .bind(&read.subject)
    .bind(&read.role)
    .bind(read.report.0)
    .bind(&read.purpose)
    .bind(read.granted)
    .bind(read.at)
    .execute(conn)
    .await?;
    Ok(())
}
