//! Durable deadline timers.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

/// A due timer, claimed.
#[derive(Debug, Clone, FromRow)]
pub struct TimerRow {
    pub timer_id: Uuid,
    pub ticket_id: Uuid,
    /// Set for a co-handler's task's clock.
    pub task_id: Option<Uuid>,
    pub kind: String,
    pub fraction: f64,
    pub fire_at: DateTime<Utc>,
}

/// Replaces the pending timers of a ticket's clock (`task` `None`) or of
/// one of its tasks' clocks with `timers` (kind, fraction, time).
///
/// # Errors
/// The database fails.
pub async fn reschedule(
    conn: &mut PgConnection,
    ticket: Uuid,
    task: Option<Uuid>,
    timers: &[(&str, f64, DateTime<Utc>)],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM ticket_timers
         WHERE ticket_id = $1 AND task_id IS NOT DISTINCT FROM $2 AND fired_at IS NULL",
    )
    .bind(ticket)
    .bind(task)
    .execute(&mut *conn)
    .await?;
    for (kind, fraction, at) in timers {
        sqlx::query(
            "INSERT INTO ticket_timers (timer_id, ticket_id, task_id, kind, fraction, fire_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(Uuid::now_v7())
        .bind(ticket)
        .bind(task)
        .bind(kind)
        .bind(fraction)
        .bind(at)
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
    ticket: Uuid,
    task: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    reschedule(conn, ticket, task, &[]).await
}

/// Claims up to `limit` timers due at `now`: locked for this transaction and
/// skipped by every other replica, so each fires once.
///
/// # Errors
/// The database fails.
pub async fn claim_due(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<TimerRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT timer_id, ticket_id, task_id, kind, fraction, fire_at FROM ticket_timers
         WHERE fired_at IS NULL AND fire_at <= $1 ORDER BY fire_at LIMIT $2 FOR UPDATE SKIP LOCKED",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Marks a timer fired.
///
/// # Errors
/// The database fails.
pub async fn mark_fired(
    conn: &mut PgConnection,
    timer: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE ticket_timers SET fired_at = $2 WHERE timer_id = $1")
        .bind(timer)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}
