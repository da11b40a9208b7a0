//! The `tickets` and `ticket_transitions` tables.

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use crate::domain::deadline::{DeadlineClock, TimeLimit};

/// A stored ticket.
#[derive(Debug, Clone, FromRow)]
pub struct TicketRow {
    pub ticket_id: Uuid,
    pub number: String,
    pub channel: String,
    pub external_ref: Option<String>,
    pub category_code: String,
    pub title: String,
    pub description: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub micro_grid_code: Option<String>,
    pub village_code: Option<String>,
    pub state: String,
    pub unrouted: bool,
    pub difficult: bool,
    pub assignee_kind: Option<String>,
    pub assignee_code: Option<String>,
    pub assignee_name: Option<String>,
    pub received_at: DateTime<Utc>,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub limit_kind: String,
    pub limit_value: i32,
    pub extension_days: i32,
    pub paused_since: Option<DateTime<Utc>>,
    pub paused_total_ms: i64,
    pub due_at: Option<DateTime<Utc>>,
    pub satisfaction: Option<i32>,
    pub returns: i32,
    pub escalation_level: i32,
    pub reporter_phone: Option<String>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    /// The open ticket this one repeats.
    pub duplicate_of: Option<Uuid>,
}

impl TicketRow {
    /// Returns the ticket's time limit.
    pub fn limit(&self) -> TimeLimit {
        let value = u32::try_from(self.limit_value).unwrap_or_default();
        if self.limit_kind == "HOURS" {
            TimeLimit::Hours(value)
        } else {
            TimeLimit::WorkingDays(value)
        }
    }

    /// Returns the ticket's deadline clock, once dispatched.
    pub fn clock(&self) -> Option<DeadlineClock> {
        Some(DeadlineClock {
            started_at: self.dispatched_at?,
            limit: self.limit(),
            extension_days: u32::try_from(self.extension_days).unwrap_or_default(),
            paused_total: TimeDelta::milliseconds(self.paused_total_ms),
            paused_since: self.paused_since,
        })
    }

    /// Writes a clock back into the row.
    pub fn set_clock(&mut self, clock: &DeadlineClock) {
        self.dispatched_at = Some(clock.started_at);
        self.extension_days = clock.extension_days as i32;
        self.paused_total_ms = clock.paused_total.num_milliseconds();
        self.paused_since = clock.paused_since;
    }
}

const COLUMNS: &str = "ticket_id, number, channel, external_ref, category_code, title, description, lat, lng,
    micro_grid_code, village_code, state, unrouted, difficult, assignee_kind, assignee_code, assignee_name,
    received_at, dispatched_at, limit_kind, limit_value, extension_days, paused_since, paused_total_ms, due_at,
    satisfaction, returns, escalation_level, reporter_phone, version, updated_at, duplicate_of";

/// Returns the next human ticket number for `year`: `LX-2026-000123`.
///
/// # Errors
/// The database fails.
pub async fn next_number(
    conn: &mut PgConnection,
    prefix: &str,
    year: i32,
) -> Result<String, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT nextval('ticket_numbers')")
        .fetch_one(conn)
        .await?;
    Ok(format!("{prefix}-{year}-{n:06}"))
}

/// Inserts a ticket unless its channel reference is already taken; returns
/// whether it was inserted.
///
/// # Errors
/// The database fails.
pub async fn insert(conn: &mut PgConnection, t: &TicketRow) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO tickets ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
            $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32)
         ON CONFLICT (channel, external_ref) DO NOTHING"
    )))
    .bind(t.ticket_id)
    .bind(&t.number)
    .bind(&t.channel)
    .bind(&t.external_ref)
    .bind(&t.category_code)
    .bind(&t.title)
    .bind(&t.description)
    .bind(t.lat)
    .bind(t.lng)
    .bind(&t.micro_grid_code)
    .bind(&t.village_code)
    .bind(&t.state)
    .bind(t.unrouted)
    .bind(t.difficult)
    .bind(&t.assignee_kind)
    .bind(&t.assignee_code)
    .bind(&t.assignee_name)
    .bind(t.received_at)
    .bind(t.dispatched_at)
    .bind(&t.limit_kind)
    .bind(t.limit_value)
    .bind(t.extension_days)
    .bind(t.paused_since)
    .bind(t.paused_total_ms)
    .bind(t.due_at)
    .bind(t.satisfaction)
    .bind(t.returns)
    .bind(t.escalation_level)
    .bind(&t.reporter_phone)
    .bind(t.version)
    .bind(t.updated_at)
    .bind(t.duplicate_of)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Writes every changeable column and bumps nothing: the caller sets `version`.
///
/// # Errors
/// The database fails.
pub async fn update(conn: &mut PgConnection, t: &TicketRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE tickets SET micro_grid_code = $2, village_code = $3, state = $4, unrouted = $5, difficult = $6,
            assignee_kind = $7, assignee_code = $8, assignee_name = $9, dispatched_at = $10, limit_kind = $11,
            limit_value = $12, extension_days = $13, paused_since = $14, paused_total_ms = $15, due_at = $16,
            satisfaction = $17, returns = $18, escalation_level = $19, version = $20, updated_at = $21,
            duplicate_of = $22
         WHERE ticket_id = $1",
    )
    .bind(t.ticket_id)
    .bind(&t.micro_grid_code)
    .bind(&t.village_code)
    .bind(&t.state)
    .bind(t.unrouted)
    .bind(t.difficult)
    .bind(&t.assignee_kind)
    .bind(&t.assignee_code)
    .bind(&t.assignee_name)
    .bind(t.dispatched_at)
    .bind(&t.limit_kind)
    .bind(t.limit_value)
    .bind(t.extension_days)
    .bind(t.paused_since)
    .bind(t.paused_total_ms)
    .bind(t.due_at)
    .bind(t.satisfaction)
    .bind(t.returns)
    .bind(t.escalation_level)
    .bind(t.version)
    .bind(t.updated_at)
    .bind(t.duplicate_of)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns a ticket by id, locked for update.
///
/// # Errors
/// The database fails.
pub async fn by_id_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<TicketRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tickets WHERE ticket_id = $1 FOR UPDATE"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Returns a ticket by id or number.
///
/// # Errors
/// The database fails.
pub async fn find(
    conn: &mut PgConnection,
    id: Option<Uuid>,
    number: &str,
) -> Result<Option<TicketRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tickets WHERE ticket_id = $1 OR number = $2"
    )))
    .bind(id)
    .bind(number)
    .fetch_optional(conn)
    .await
}

/// Returns the ticket a channel reference names.
///
/// # Errors
/// The database fails.
pub async fn by_reference(
    conn: &mut PgConnection,
    channel: &str,
    reference: &str,
) -> Result<Option<TicketRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tickets WHERE channel = $1 AND external_ref = $2"
    )))
    .bind(channel)
    .bind(reference)
    .fetch_optional(conn)
    .await
}

/// Filters for a page of tickets.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub channels: Vec<String>,
    pub states: Vec<String>,
    pub category: Option<String>,
    /// Tickets assigned to one of these unit codes.
    pub assignees: Option<Vec<String>>,
    /// Tickets located under one of these grid codes (micro-grid or village).
    pub grids: Option<Vec<String>>,
    /// The desk queue: received, returned or unrouted.
    pub desk: bool,
    /// Open tickets due before this time.
    pub overdue_at: Option<DateTime<Utc>>,
    pub received_from: Option<DateTime<Utc>>,
    pub received_to: Option<DateTime<Utc>>,
    /// Continue after this ticket id (UUIDv7: time-ordered), newest first.
    pub before: Option<Uuid>,
}

/// Returns a page of tickets, newest first.
///
/// # Errors
/// The database fails.
pub async fn page(
    conn: &mut PgConnection,
    filter: &Filter,
    limit: i64,
) -> Result<Vec<TicketRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tickets
         WHERE (cardinality($1::text[]) = 0 OR channel = ANY($1))
           AND (cardinality($2::text[]) = 0 OR state = ANY($2))
           AND ($3::text IS NULL OR category_code = $3)
           AND ($4::text[] IS NULL OR assignee_code = ANY($4))
           AND ($5::text[] IS NULL OR micro_grid_code = ANY($5) OR village_code = ANY($5))
           AND (NOT $6 OR ((state IN ('RECEIVED', 'RETURNED') OR unrouted) AND duplicate_of IS NULL))
           AND ($7::timestamptz IS NULL OR (state <> 'CLOSED' AND paused_since IS NULL AND due_at < $7
                AND state IN ('DISPATCHED', 'ACCEPTED', 'IN_PROGRESS', 'REOPENED')))
           AND ($8::timestamptz IS NULL OR received_at >= $8)
           AND ($9::timestamptz IS NULL OR received_at < $9)
           AND ($10::uuid IS NULL OR ticket_id < $10)
         ORDER BY ticket_id DESC LIMIT $11"
    )))
    .bind(&filter.channels)
    .bind(&filter.states)
    .bind(&filter.category)
    .bind(&filter.assignees)
    .bind(&filter.grids)
    .bind(filter.desk)
    .bind(filter.overdue_at)
    .bind(filter.received_from)
    .bind(filter.received_to)
    .bind(filter.before)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Returns up to `limit` unrouted tickets, oldest first, locked and skipped
/// by other replicas.
///
/// # Errors
/// The database fails.
pub async fn claim_unrouted(
    conn: &mut PgConnection,
    limit: i64,
) -> Result<Vec<TicketRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tickets WHERE unrouted ORDER BY received_at LIMIT $1 FOR UPDATE SKIP LOCKED"
    )))
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// One stored move.
#[derive(Debug, Clone, FromRow)]
pub struct TransitionRow {
    pub ticket_id: Uuid,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub action: String,
    pub reason: Option<String>,
    pub unit_kind: Option<String>,
    pub unit_code: Option<String>,
    pub unit_name: Option<String>,
    /// Reopen: why (`REPORT_UNTRUE`, …).
    pub cause: Option<String>,
}

/// Records a move.
///
/// # Errors
/// The database fails.
pub async fn record(conn: &mut PgConnection, t: &TransitionRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ticket_transitions (ticket_id, at, actor, from_state, to_state, action, reason, unit_kind,
                                         unit_code, unit_name, cause)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(t.ticket_id)
    .bind(t.at)
    .bind(&t.actor)
    .bind(&t.from_state)
    .bind(&t.to_state)
    .bind(&t.action)
    .bind(&t.reason)
    .bind(&t.unit_kind)
    .bind(&t.unit_code)
        .bind(&t.unit_name)
    .bind(&t.cause)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns a ticket's history, oldest first.
///
/// # Errors
/// The database fails.
pub async fn history(
    conn: &mut PgConnection,
    ticket: Uuid,
) -> Result<Vec<TransitionRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT ticket_id, at, actor, from_state, to_state, action, reason, unit_kind, unit_code, unit_name,
                cause
         FROM ticket_transitions WHERE ticket_id = $1 ORDER BY transition_id",
    )
    .bind(ticket)
    .fetch_all(conn)
    .await
}

/// Returns open, original tickets of `category` received since `since`
/// whose location lies within the box around (lat, lng).
///
/// # Errors
/// The database fails.
pub async fn open_nearby(
    conn: &mut PgConnection,
    category: &str,
    (lat, lng): (f64, f64),
    (dlat, dlng): (f64, f64),
    since: DateTime<Utc>,
) -> Result<Vec<TicketRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tickets
         WHERE category_code = $1 AND state <> 'CLOSED' AND duplicate_of IS NULL AND received_at >= $6
           AND lat BETWEEN $2 - $4 AND $2 + $4 AND lng BETWEEN $3 - $5 AND $3 + $5
         ORDER BY received_at"
    )))
    .bind(category)
    .bind(lat)
    .bind(lng)
    .bind(dlat)
    .bind(dlng)
    .bind(since)
    .fetch_all(conn)
    .await
}

/// Returns the open duplicates of a ticket, locked.
///
/// # Errors
/// The database fails.
pub async fn open_duplicates_of(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Vec<TicketRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tickets WHERE duplicate_of = $1 AND state <> 'CLOSED' FOR UPDATE"
    )))
    .bind(id)
    .fetch_all(conn)
    .await
}
