//! Extension requests (延期).

use chrono::{DateTime, Utc};
use platform::error::{AppError, UnknownStoredValue};
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use super::{parse_stored, stored_count};
use crate::domain::extension::{Extension, ExtensionRequest, ExtensionState};
use crate::domain::ids::{ExtensionId, TaskId, TicketId};

#[derive(FromRow)]
struct ExtensionRow {
    extension_id: Uuid,
    ticket_id: Uuid,
    task_id: Option<Uuid>,
    days: i32,
    reason: String,
    state: String,
}

impl TryFrom<ExtensionRow> for Extension {
    type Error = UnknownStoredValue;

    fn try_from(row: ExtensionRow) -> Result<Self, Self::Error> {
        Ok(Extension {
            id: ExtensionId(row.extension_id),
            ticket: TicketId(row.ticket_id),
            task: row.task_id.map(TaskId),
            days: stored_count("extensions", "days", row.days)?,
            reason: row.reason,
            state: parse_stored("extensions", "state", &row.state, ExtensionState::parse)?,
        })
    }
}

/// Records a pending request, asked for by `by` at `at`.
///
/// # Errors
/// One is already pending for the ticket (FAILED_PRECONDITION), or the
/// database fails.
pub async fn insert(
    conn: &mut PgConnection,
    extension: &Extension,
    by: &str,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO extensions (extension_id, ticket_id, task_id, days, reason, state, requested_by, requested_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(extension.id.0)
    .bind(extension.ticket.0)
    .bind(extension.task.map(|t| t.0))
    .bind(super::to_stored(extension.days))
    .bind(&extension.reason)
    .bind(extension.state.as_str())
    .bind(by)
    .bind(at)
    .execute(conn)
    .await
    .map_err(|err| {
        AppError::on_constraint(err, "extensions_one_pending", || {
            AppError::FailedPrecondition(
                if extension.task.is_some() {
                    "an extension request for this task is already pending"
                } else {
                    "an extension request for this ticket is already pending"
                }
                .into(),
            )
        })
    })?;
    Ok(())
}

/// Returns a request, locked.
///
/// # Errors
/// The database fails, or the row holds a value this version does not know.
pub async fn load_for_update(
    conn: &mut PgConnection,
    id: ExtensionId,
) -> Result<Option<Extension>, sqlx::Error> {
    let row: Option<ExtensionRow> = sqlx::query_as(
        "SELECT extension_id, ticket_id, task_id, days, reason, state FROM extensions WHERE extension_id = $1 FOR UPDATE",
    )
    .bind(id.0)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Extension::try_from).transpose()?)
}

/// Records the decision on `extension` (its state), made by `by` at `at`
/// for `reason`.
///
/// # Errors
/// The database fails.
pub async fn save_decision(
    conn: &mut PgConnection,
    extension: &Extension,
    by: &str,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE extensions SET state = $2, decided_by = $3, decision_reason = $4, decided_at = $5 WHERE extension_id = $1",
    )
    .bind(extension.id.0)
    .bind(extension.state.as_str())
    .bind(by)
    .bind(reason)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(FromRow)]
struct ExtensionRequestRow {
    #[sqlx(flatten)]
    extension: ExtensionRow,
    number: String,
    requested_by: String,
    requested_at: DateTime<Utc>,
}

/// The most requests a listing returns.
pub const LISTING_LIMIT: i64 = 500;

/// Returns the requests of `ticket` in any state, or without a ticket the
/// pending requests of all tickets; oldest first, at most
/// [`LISTING_LIMIT`].
///
/// # Errors
/// The database fails, or a row holds a value this version does not know.
pub async fn list(
    conn: &mut PgConnection,
    ticket: Option<TicketId>,
) -> Result<Vec<ExtensionRequest>, AppError> {
    let rows: Vec<ExtensionRequestRow> = sqlx::query_as(
        "SELECT e.extension_id, e.ticket_id, e.task_id, e.days, e.reason, e.state, e.requested_by, e.requested_at, t.number
         FROM extensions e JOIN tickets t ON t.ticket_id = e.ticket_id
         WHERE CASE WHEN $1::uuid IS NULL THEN e.state = 'PENDING' ELSE e.ticket_id = $1 END
         ORDER BY e.requested_at, e.extension_id
         LIMIT $2",
    )
    .bind(ticket.map(|t| t.0))
    .bind(LISTING_LIMIT)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|row| -> Result<ExtensionRequest, AppError> {
            Ok(ExtensionRequest {
                extension: Extension::try_from(row.extension)?,
                ticket_number: row.number,
                requested_by: row.requested_by,
                requested_at: row.requested_at,
            })
        })
        .collect()
}
