//! The `ticket_tasks` table: co-handlers of multi-department cases.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

/// A stored task.
#[derive(Debug, Clone, FromRow)]
pub struct TaskRow {
    pub task_id: Uuid,
    pub ticket_id: Uuid,
    pub unit_kind: String,
    pub unit_code: String,
    pub unit_name: String,
    pub state: String,
    pub dispatched_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub result: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "task_id, ticket_id, unit_kind, unit_code, unit_name, state, dispatched_at, due_at, result, resolved_at";

/// Inserts a task.
///
/// # Errors
/// `ticket_tasks_unit_key` when the unit already has a task, or the database fails.
pub async fn insert(conn: &mut PgConnection, t: &TaskRow) -> Result<(), sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO ticket_tasks ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )))
    .bind(t.task_id)
    .bind(t.ticket_id)
    .bind(&t.unit_kind)
    .bind(&t.unit_code)
    .bind(&t.unit_name)
    .bind(&t.state)
    .bind(t.dispatched_at)
    .bind(t.due_at)
    .bind(&t.result)
    .bind(t.resolved_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns a ticket's tasks, in dispatch order.
///
/// # Errors
/// The database fails.
pub async fn of_ticket(conn: &mut PgConnection, ticket: Uuid) -> Result<Vec<TaskRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ticket_tasks WHERE ticket_id = $1 ORDER BY task_id"
    )))
    .bind(ticket)
    .fetch_all(conn)
    .await
}

/// Returns a task, locked.
///
/// # Errors
/// The database fails.
pub async fn by_id_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<TaskRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ticket_tasks WHERE task_id = $1 FOR UPDATE"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Writes a task's state and result.
///
/// # Errors
/// The database fails.
pub async fn update(conn: &mut PgConnection, t: &TaskRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE ticket_tasks SET state = $2, result = $3, resolved_at = $4 WHERE task_id = $1",
    )
    .bind(t.task_id)
    .bind(&t.state)
    .bind(&t.result)
    .bind(t.resolved_at)
    .execute(conn)
    .await?;
    Ok(())
}
