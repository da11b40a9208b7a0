//! The `ticket_tasks` table: co-handlers of multi-department cases.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use platform::error::{AppError, UnknownStoredValue};
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use super::{parse_stored, stored_count, stored_unit, to_stored};
use crate::domain::ids::{TaskId, TicketId};
use crate::domain::task::{Task, TaskState};

#[derive(FromRow)]
struct TaskRow {
    task_id: Uuid,
    ticket_id: Uuid,
    unit_kind: String,
    unit_code: String,
    unit_name: String,
    state: String,
    dispatched_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    result: Option<String>,
    resolved_at: Option<DateTime<Utc>>,
    extension_days: i32,
    paused_since: Option<DateTime<Utc>>,
    paused_total_ms: i64,
}

impl TryFrom<TaskRow> for Task {
    type Error = UnknownStoredValue;

    fn try_from(row: TaskRow) -> Result<Self, Self::Error> {
        Ok(Task {
            id: TaskId(row.task_id),
            unit: stored_unit(
                "ticket_tasks",
                "unit_kind",
                &row.unit_kind,
                row.unit_code,
                row.unit_name,
            )?,
            state: parse_stored("ticket_tasks", "state", &row.state, TaskState::parse)?,
            dispatched_at: row.dispatched_at,
            due_at: row.due_at,
            result: row.result,
            resolved_at: row.resolved_at,
            extension_days: stored_count("ticket_tasks", "extension_days", row.extension_days)?,
            paused_total: TimeDelta::milliseconds(row.paused_total_ms),
            paused_since: row.paused_since,
        })
    }
}

const COLUMNS: &str = "task_id, ticket_id, unit_kind, unit_code, unit_name, state, dispatched_at, due_at, result, resolved_at, extension_days, paused_since, paused_total_ms";

/// Inserts `task` of `ticket`.
///
/// # Errors
/// The unit already has a task in this case (INVALID_ARGUMENT on
/// `co_handlers`), or the database fails.
pub async fn insert(
    conn: &mut PgConnection,
    ticket: TicketId,
    task: &Task,
) -> Result<(), AppError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO ticket_tasks ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    )))
    .bind(task.id.0)
    .bind(ticket.0)
    .bind(task.unit.kind.as_str())
    .bind(&task.unit.code)
    .bind(&task.unit.name)
    .bind(task.state.as_str())
    .bind(task.dispatched_at)
    .bind(task.due_at)
    .bind(&task.result)
    .bind(task.resolved_at)
    .bind(to_stored(task.extension_days))
    .bind(task.paused_since)
    .bind(task.paused_total.num_milliseconds())
    .execute(conn)
    .await
    .map_err(|err| {
        AppError::on_constraint(err, "ticket_tasks_unit_key", || {
            AppError::invalid(
                "co_handlers",
                format!("{} already has a task", task.unit.code),
            )
        })
    })?;
    Ok(())
}

/// Returns the tasks of `tickets`, each ticket's in dispatch order.
///
/// # Errors
/// The database fails, or a row holds a value this version does not know.
pub async fn of_tickets(
    conn: &mut PgConnection,
    tickets: &[TicketId],
) -> Result<HashMap<TicketId, Vec<Task>>, sqlx::Error> {
    let ids: Vec<Uuid> = tickets.iter().map(|t| t.0).collect();
    let rows: Vec<TaskRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ticket_tasks WHERE ticket_id = ANY($1) ORDER BY task_id"
    )))
    .bind(&ids)
    .fetch_all(conn)
    .await?;
    let mut found: HashMap<TicketId, Vec<Task>> = HashMap::new();
    for row in rows {
        let ticket = TicketId(row.ticket_id);
        found.entry(ticket).or_default().push(Task::try_from(row)?);
    }
    Ok(found)
}

/// Writes a task's holder, clock, state and result.
///
/// # Errors
/// The database fails.
pub async fn update(conn: &mut PgConnection, task: &Task) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE ticket_tasks SET state = $2, result = $3, resolved_at = $4, unit_kind = $5,
             unit_code = $6, unit_name = $7, dispatched_at = $8, due_at = $9,
             extension_days = $10, paused_since = $11, paused_total_ms = $12
         WHERE task_id = $1",
    )
    .bind(task.id.0)
    .bind(task.state.as_str())
    .bind(&task.result)
    .bind(task.resolved_at)
    .bind(task.unit.kind.as_str())
    .bind(&task.unit.code)
    .bind(&task.unit.name)
    .bind(task.dispatched_at)
    .bind(task.due_at)
    .bind(to_stored(task.extension_days))
    .bind(task.paused_since)
    .bind(task.paused_total.num_milliseconds())
    .execute(conn)
    .await?;
    Ok(())
}
