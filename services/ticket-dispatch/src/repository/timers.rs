//! Durable deadline timers.

use chrono::{DateTime, Utc};
use platform::error::UnknownStoredValue;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use super::parse_stored;
use crate::domain::ids::{TaskId, TicketId, TimerId};
use crate::domain::timer::{PlannedTimer, Timer, TimerKind};

#[derive(FromRow)]
struct TimerRow {
    timer_id: Uuid,
    ticket_id: Uuid,
    task_id: Option<Uuid>,
    kind: String,
    fraction: f64,
    fire_at: DateTime<Utc>,
}

impl TryFrom<TimerRow> for Timer {
    type Error = UnknownStoredValue;

    fn try_from(row: TimerRow) -> Result<Self, Self::Error> {
        Ok(Timer {
            id: TimerId(row.timer_id),
            ticket: TicketId(row.ticket_id),
            task: row.task_id.map(TaskId),
            kind: parse_stored("ticket_timers", "kind", &row.kind, TimerKind::parse)?,
            fraction: row.fraction,
            fire_at: row.fire_at,
        })
    }
}

/// Replaces the pending timers of a ticket's clock (`task` `None`) or of
/// one of its tasks' clocks with `timers`.
///
/// # Errors
/// The database fails.
pub async fn replace(
    conn: &mut PgConnection,
    ticket: TicketId,
    task: Option<TaskId>,
    timers: &[PlannedTimer],
) -> Result<(), sqlx::Error> {
    let task = task.map(|t| t.0);
    sqlx::query(
        "DELETE FROM ticket_timers
         WHERE ticket_id = $1 AND task_id IS NOT DISTINCT FROM $2 AND fired_at IS NULL",
    )
    .bind(ticket.0)
    .bind(task)
    .execute(&mut *conn)
    .await?;
    for timer in timers {
        sqlx::query(
            "INSERT INTO ticket_timers (timer_id, ticket_id, task_id, kind, fraction, fire_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(TimerId::generate().0)
        .bind(ticket.0)
        .bind(task)
        .bind(timer.kind.as_str())
        .bind(timer.fraction)
        .bind(timer.fire_at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Cancels the pending timers of a ticket's clock, or of one task's.
///
/// # Errors
/// The database fails.
pub async fn cancel(
    conn: &mut PgConnection,
    ticket: TicketId,
    task: Option<TaskId>,
) -> Result<(), sqlx::Error> {
    replace(conn, ticket, task, &[]).await
}

/// Returns the ids of up to `limit` timers due at `now` and not set aside,
/// oldest first.
///
/// # Errors
/// The database fails.
pub async fn due(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<TimerId>, sqlx::Error> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT timer_id FROM ticket_timers
         WHERE fired_at IS NULL AND failed_at IS NULL AND fire_at <= $1 ORDER BY fire_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(ids.into_iter().map(TimerId).collect())
}

/// Locks the timer `id` when it is still due at `now` and no other worker
/// holds it (`FOR UPDATE SKIP LOCKED`).
///
/// # Errors
/// The database fails, or the stored timer cannot be read.
pub async fn claim(
    conn: &mut PgConnection,
    id: TimerId,
    now: DateTime<Utc>,
) -> Result<Option<Timer>, sqlx::Error> {
    let row: Option<TimerRow> = sqlx::query_as(
        "SELECT timer_id, ticket_id, task_id, kind, fraction, fire_at FROM ticket_timers
         WHERE timer_id = $1 AND fired_at IS NULL AND failed_at IS NULL AND fire_at <= $2
         FOR UPDATE SKIP LOCKED",
    )
    .bind(id.0)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Timer::try_from).transpose()?)
}

/// Sets the timer `id` aside at `at` with `reason`: it is not due any more.
///
/// # Errors
/// The database fails.
pub async fn set_aside(
    conn: &mut PgConnection,
    id: TimerId,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE ticket_timers SET failed_at = $2, failure = $3 WHERE timer_id = $1")
        .bind(id.0)
        .bind(at)
        .bind(reason)
        .execute(conn)
        .await?;
    Ok(())
}

/// Returns the tickets with a breach due at `now` (of their own clock or a
/// task's), up to `limit`, the longest due first (as timers are claimed), read without a lock: whose chain to ask the
/// registry for before the breach is fired.
///
/// # Errors
/// The database fails.
pub async fn breaching(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<TicketId>, sqlx::Error> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT ticket_id FROM ticket_timers
         WHERE fired_at IS NULL AND kind = 'BREACH' AND fire_at <= $1
         GROUP BY ticket_id ORDER BY min(fire_at) LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(ids.into_iter().map(TicketId).collect())
}

/// Marks a timer fired.
///
/// # Errors
/// The database fails.
pub async fn mark_fired(
    conn: &mut PgConnection,
    timer: TimerId,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE ticket_timers SET fired_at = $2 WHERE timer_id = $1")
        .bind(timer.0)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}
