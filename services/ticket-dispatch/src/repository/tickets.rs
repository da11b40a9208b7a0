//! The `tickets` and `ticket_transitions` tables. A ticket is always loaded
//! with its tasks (`ticket_tasks`) and legs (`ticket_legs`): the aggregate
//! is whole or not at all.

use chrono::{DateTime, TimeDelta, Utc};
use platform::error::UnknownStoredValue;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use super::{legs, parse_stored, stored_count, stored_optional_unit, tasks, to_stored};
use crate::domain::channel::Channel;
use crate::domain::deadline::{DeadlineClock, LimitKind, TimeLimit};
use crate::domain::grid::LatLng;
use crate::domain::ids::TicketId;
use crate::domain::intake::Priority;
use crate::domain::state::{RejectReason, ReopenCause, ReturnReason, TicketState};
use crate::domain::ticket::{Change, FollowUpAnswer, Ticket, Transition};

const TICKETS: &str = "tickets";

#[derive(FromRow)]
struct TicketRow {
    ticket_id: Uuid,
    number: String,
    channel: String,
    external_ref: Option<String>,
    category_code: String,
    title: String,
    description: String,
    lat: Option<f64>,
    lng: Option<f64>,
    micro_grid_code: Option<String>,
    village_code: Option<String>,
    state: String,
    unrouted: bool,
    difficult: bool,
    assignee_kind: Option<String>,
    assignee_code: Option<String>,
    assignee_name: Option<String>,
    received_at: DateTime<Utc>,
    dispatched_at: Option<DateTime<Utc>>,
    limit_kind: String,
    limit_value: i32,
    extension_days: i32,
    paused_since: Option<DateTime<Utc>>,
    paused_total_ms: i64,
    due_at: Option<DateTime<Utc>>,
    satisfaction: Option<i32>,
    returns: i32,
    escalation_level: i32,
    reporter_phone: Option<String>,
    version: i64,
    updated_at: DateTime<Utc>,
    duplicate_of: Option<Uuid>,
    priority: String,
    supervision_warning: Option<String>,
}

/// Makes the ticket of a row; its tasks and legs are added by [`complete`].
impl TryFrom<TicketRow> for Ticket {
    type Error = UnknownStoredValue;

    fn try_from(row: TicketRow) -> Result<Self, Self::Error> {
        let limit = TimeLimit::of(
            parse_stored(TICKETS, "limit_kind", &row.limit_kind, LimitKind::parse)?,
            stored_count(TICKETS, "limit_value", row.limit_value)?,
        );
        let clock = match row.dispatched_at {
            Some(started_at) => Some(DeadlineClock {
                started_at,
                limit,
                extension_days: stored_count(TICKETS, "extension_days", row.extension_days)?,
                paused_total: TimeDelta::milliseconds(row.paused_total_ms),
                paused_since: row.paused_since,
            }),
            None => None,
        };
        Ok(Ticket {
            id: TicketId(row.ticket_id),
            channel: parse_stored(TICKETS, "channel", &row.channel, Channel::parse)?,
            state: parse_stored(TICKETS, "state", &row.state, TicketState::parse)?,
            assignee: stored_optional_unit(
                TICKETS,
                "assignee_kind",
                row.assignee_kind.as_deref(),
                row.assignee_code,
                row.assignee_name,
            )?,
            satisfaction: row
                .satisfaction
                .map(|s| stored_count(TICKETS, "satisfaction", s))
                .transpose()?,
            returns: stored_count(TICKETS, "returns", row.returns)?,
            escalation_level: stored_count(TICKETS, "escalation_level", row.escalation_level)?,
            location: match (row.lat, row.lng) {
                (Some(lat), Some(lng)) => Some(LatLng { lat, lng }),
                _ => None,
            },
            number: row.number,
            external_ref: row.external_ref,
            category_code: row.category_code,
            title: row.title,
            description: row.description,
            micro_grid_code: row.micro_grid_code,
            village_code: row.village_code,
            unrouted: row.unrouted,
            difficult: row.difficult,
            received_at: row.received_at,
            limit,
            clock,
            due_at: row.due_at,
            reporter_phone: row.reporter_phone,
            version: row.version,
            updated_at: row.updated_at,
            duplicate_of: row.duplicate_of.map(TicketId),
            priority: parse_stored(TICKETS, "priority", &row.priority, Priority::parse)?,
            supervision_warning: row.supervision_warning,
            tasks: Vec::new(),
            legs: Vec::new(),
        })
    }
}

/// Returns the tickets of `rows`, each with its tasks and legs.
async fn complete(
    conn: &mut PgConnection,
    rows: Vec<TicketRow>,
) -> Result<Vec<Ticket>, sqlx::Error> {
    let mut tickets = rows
        .into_iter()
        .map(Ticket::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    if tickets.is_empty() {
        return Ok(tickets);
    }
    let ids: Vec<TicketId> = tickets.iter().map(|t| t.id).collect();
    let mut tasks = tasks::of_tickets(conn, &ids).await?;
    let mut legs = legs::of_tickets(conn, &ids).await?;
    for ticket in &mut tickets {
        ticket.tasks = tasks.remove(&ticket.id).unwrap_or_default();
        ticket.legs = legs.remove(&ticket.id).unwrap_or_default();
    }
    Ok(tickets)
}

async fn complete_one(
    conn: &mut PgConnection,
    row: Option<TicketRow>,
) -> Result<Option<Ticket>, sqlx::Error> {
    Ok(complete(conn, row.into_iter().collect()).await?.pop())
}

const COLUMNS: &str = "ticket_id, number, channel, external_ref, category_code, title, description, lat, lng,
    micro_grid_code, village_code, state, unrouted, difficult, assignee_kind, assignee_code, assignee_name,
    received_at, dispatched_at, limit_kind, limit_value, extension_days, paused_since, paused_total_ms, due_at,
    satisfaction, returns, escalation_level, reporter_phone, version, updated_at, duplicate_of, priority,
    supervision_warning";

/// The clock columns of a ticket: dispatched_at, extension_days,
/// paused_since, paused_total_ms.
fn clock_columns(ticket: &Ticket) -> (Option<DateTime<Utc>>, i32, Option<DateTime<Utc>>, i64) {
    match &ticket.clock {
        Some(clock) => (
            Some(clock.started_at),
            to_stored(clock.extension_days),
            clock.paused_since,
            clock.paused_total.num_milliseconds(),
        ),
        None => (None, 0, None, 0),
    }
}

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

/// Inserts a new ticket (with its legs) unless its channel reference is
/// already taken; returns whether it was inserted. Its tasks are inserted
/// by [`tasks::insert`].
///
/// # Errors
/// The database fails.
pub async fn insert(conn: &mut PgConnection, t: &Ticket) -> Result<bool, sqlx::Error> {
    let (dispatched_at, extension_days, paused_since, paused_total_ms) = clock_columns(t);
    let assignee = t.assignee.as_ref();
    let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO tickets ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
            $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34)
         ON CONFLICT (channel, external_ref) DO NOTHING"
    )))
    .bind(t.id.0)
    .bind(&t.number)
    .bind(t.channel.as_str())
    .bind(&t.external_ref)
    .bind(&t.category_code)
    .bind(&t.title)
    .bind(&t.description)
    .bind(t.location.map(|l| l.lat))
    .bind(t.location.map(|l| l.lng))
    .bind(&t.micro_grid_code)
    .bind(&t.village_code)
    .bind(t.state.as_str())
    .bind(t.unrouted)
    .bind(t.difficult)
    .bind(assignee.map(|u| u.kind.as_str()))
    .bind(assignee.map(|u| u.code.as_str()))
    .bind(assignee.map(|u| u.name.as_str()))
    .bind(t.received_at)
    .bind(dispatched_at)
    .bind(t.limit.kind().as_str())
    .bind(to_stored(t.limit.value()))
    .bind(extension_days)
    .bind(paused_since)
    .bind(paused_total_ms)
    .bind(t.due_at)
    .bind(t.satisfaction.map(to_stored))
    .bind(to_stored(t.returns))
    .bind(to_stored(t.escalation_level))
    .bind(&t.reporter_phone)
    .bind(t.version)
    .bind(t.updated_at)
    .bind(t.duplicate_of.map(|d| d.0))
    .bind(t.priority.as_str())
    .bind(&t.supervision_warning)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        legs::save(conn, t).await?;
    }
    Ok(inserted == 1)
}

/// Writes every changeable column of `t` and its legs (its tasks are
/// written by [`tasks::update`]).
///
/// # Errors
/// The database fails.
pub async fn update(conn: &mut PgConnection, t: &Ticket) -> Result<(), sqlx::Error> {
    let (dispatched_at, extension_days, paused_since, paused_total_ms) = clock_columns(t);
    let assignee = t.assignee.as_ref();
    sqlx::query(
        "UPDATE tickets SET micro_grid_code = $2, village_code = $3, state = $4, unrouted = $5, difficult = $6,
            assignee_kind = $7, assignee_code = $8, assignee_name = $9, dispatched_at = $10, limit_kind = $11,
            limit_value = $12, extension_days = $13, paused_since = $14, paused_total_ms = $15, due_at = $16,
            satisfaction = $17, returns = $18, escalation_level = $19, version = $20, updated_at = $21,
            duplicate_of = $22, supervision_warning = $23
         WHERE ticket_id = $1",
    )
    .bind(t.id.0)
    .bind(&t.micro_grid_code)
    .bind(&t.village_code)
    .bind(t.state.as_str())
    .bind(t.unrouted)
    .bind(t.difficult)
    .bind(assignee.map(|u| u.kind.as_str()))
    .bind(assignee.map(|u| u.code.as_str()))
    .bind(assignee.map(|u| u.name.as_str()))
    .bind(dispatched_at)
    .bind(t.limit.kind().as_str())
    .bind(to_stored(t.limit.value()))
    .bind(extension_days)
    .bind(paused_since)
    .bind(paused_total_ms)
    .bind(t.due_at)
    .bind(t.satisfaction.map(to_stored))
    .bind(to_stored(t.returns))
    .bind(to_stored(t.escalation_level))
    .bind(t.version)
    .bind(t.updated_at)
    .bind(t.duplicate_of.map(|d| d.0))
    .bind(&t.supervision_warning)
    .execute(&mut *conn)
    .await?;
    legs::save(conn, t).await
}

/// Returns the open tickets with a deadline of their own or of a task, in
/// id order (the order a calendar edit locks them in).
///
/// # Errors
/// The database fails.
pub async fn open_with_deadlines(conn: &mut PgConnection) -> Result<Vec<TicketId>, sqlx::Error> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT ticket_id FROM tickets t
         WHERE state NOT IN ('CLOSED', 'REJECTED')
           AND (due_at IS NOT NULL
                OR EXISTS (SELECT 1 FROM ticket_tasks k
                           WHERE k.ticket_id = t.ticket_id AND k.state <> 'RESOLVED'))
         ORDER BY ticket_id",
    )
    .fetch_all(conn)
    .await?;
    Ok(ids.into_iter().map(TicketId).collect())
}

/// Returns a ticket by id, locked for update (its tasks with it: every
/// change to a task goes through its ticket).
///
/// # Errors
/// The database fails, or the row holds a value this version does not know.
pub async fn load_for_update(
    conn: &mut PgConnection,
    id: TicketId,
) -> Result<Option<Ticket>, sqlx::Error> {
    let row = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tickets WHERE ticket_id = $1 FOR UPDATE"
    )))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?;
    complete_one(conn, row).await
}

/// Returns a ticket by id or number.
///
/// # Errors
/// The database fails, or the row holds a value this version does not know.
pub async fn find(
    conn: &mut PgConnection,
    id: Option<TicketId>,
    number: &str,
) -> Result<Option<Ticket>, sqlx::Error> {
    let row = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tickets WHERE ticket_id = $1 OR number = $2"
    )))
    .bind(id.map(|id| id.0))
    .bind(number)
    .fetch_optional(&mut *conn)
    .await?;
    complete_one(conn, row).await
}

/// Returns the ticket a channel reference names.
///
/// # Errors
/// The database fails, or the row holds a value this version does not know.
pub async fn by_reference(
    conn: &mut PgConnection,
    channel: Channel,
    reference: &str,
) -> Result<Option<Ticket>, sqlx::Error> {
    let row = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tickets WHERE channel = $1 AND external_ref = $2"
    )))
    .bind(channel.as_str())
    .bind(reference)
    .fetch_optional(&mut *conn)
    .await?;
    complete_one(conn, row).await
}

/// Filters for a page of tickets.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub channels: Vec<Channel>,
    pub states: Vec<TicketState>,
    pub category: Option<String>,
    /// Tickets assigned to one of these unit codes.
    pub assignees: Option<Vec<String>>,
    /// Tickets located under one of these grid codes (micro-grid or village).
    pub grids: Option<Vec<String>>,
    /// The desk queue: waiting at the desk or unrouted, and no duplicate.
    pub desk: bool,
    /// Tickets whose running clock ran out before this time.
    pub overdue_at: Option<DateTime<Utc>>,
    pub received_from: Option<DateTime<Utc>>,
    pub received_to: Option<DateTime<Utc>>,
    /// Continue after this ticket (UUIDv7: time-ordered), newest first.
    pub before: Option<TicketId>,
}

/// Returns the stored names of the states `keep` selects.
fn states_where(keep: impl Fn(TicketState) -> bool) -> Vec<&'static str> {
    TicketState::ALL
        .into_iter()
        .filter(|s| keep(*s))
        .map(TicketState::as_str)
        .collect()
}

/// Returns a page of tickets, newest first; the desk queue has its urgent
/// tickets first (the page token, a ticket id, continues after it in that
/// order: a ticket's priority never changes).
///
/// # Errors
/// The database fails, or a row holds a value this version does not know.
pub async fn page(
    conn: &mut PgConnection,
    filter: &Filter,
    limit: i64,
) -> Result<Vec<Ticket>, sqlx::Error> {
    let channels: Vec<&str> = filter.channels.iter().map(|c| c.as_str()).collect();
    let states: Vec<&str> = filter.states.iter().map(|s| s.as_str()).collect();
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tickets
         WHERE (cardinality($1::text[]) = 0 OR channel = ANY($1))
           AND (cardinality($2::text[]) = 0 OR state = ANY($2))
           AND ($3::text IS NULL OR category_code = $3)
           AND ($4::text[] IS NULL OR assignee_code = ANY($4))
           AND ($5::text[] IS NULL OR micro_grid_code = ANY($5) OR village_code = ANY($5))
           AND (NOT $6 OR ((state = ANY($12) OR unrouted) AND duplicate_of IS NULL))
           AND ($7::timestamptz IS NULL OR (paused_since IS NULL AND due_at < $7 AND state = ANY($13)))
           AND ($8::timestamptz IS NULL OR received_at >= $8)
           AND ($9::timestamptz IS NULL OR received_at < $9)
           AND ($10::uuid IS NULL OR (CASE WHEN $6 AND priority = 'URGENT' THEN 1 ELSE 0 END, ticket_id)
                < ((SELECT CASE WHEN $6 AND c.priority = 'URGENT' THEN 1 ELSE 0 END
                    FROM tickets c WHERE c.ticket_id = $10), $10))
         ORDER BY CASE WHEN $6 AND priority = 'URGENT' THEN 1 ELSE 0 END DESC, ticket_id DESC LIMIT $11"
    )))
    .bind(&channels)
    .bind(&states)
    .bind(&filter.category)
    .bind(&filter.assignees)
    .bind(&filter.grids)
    .bind(filter.desk)
    .bind(filter.overdue_at)
    .bind(filter.received_from)
    .bind(filter.received_to)
    .bind(filter.before.map(|b| b.0))
    .bind(limit)
    .bind(states_where(TicketState::waits_at_desk))
    .bind(states_where(TicketState::clock_runs))
    .fetch_all(&mut *conn)
    .await?;
    complete(conn, rows).await
}

/// Returns the ids and locations of up to `limit` unrouted tickets, oldest
/// first, without locking them (the router locks each one when it routes
/// it, after asking the registry).
///
/// # Errors
/// The database fails.
pub async fn unrouted(
    conn: &mut PgConnection,
    limit: i64,
) -> Result<Vec<(TicketId, Option<LatLng>)>, sqlx::Error> {
    let rows: Vec<(Uuid, Option<f64>, Option<f64>)> = sqlx::query_as(
        "SELECT ticket_id, lat, lng FROM tickets WHERE unrouted ORDER BY received_at LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, lat, lng)| {
            let at = match (lat, lng) {
                (Some(lat), Some(lng)) => Some(LatLng { lat, lng }),
                _ => None,
            };
            (TicketId(id), at)
        })
        .collect())
}

/// Returns open, original tickets of `category` received since `since`
/// whose location lies within the box around `at` (half-sides in degrees).
///
/// # Errors
/// The database fails, or a row holds a value this version does not know.
pub async fn open_nearby(
    conn: &mut PgConnection,
    category: &str,
    at: LatLng,
    (dlat, dlng): (f64, f64),
    since: DateTime<Utc>,
) -> Result<Vec<Ticket>, sqlx::Error> {
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tickets
         WHERE category_code = $1 AND state <> $7 AND duplicate_of IS NULL AND received_at >= $6
           AND lat BETWEEN $2 - $4 AND $2 + $4 AND lng BETWEEN $3 - $5 AND $3 + $5
         ORDER BY received_at"
    )))
    .bind(category)
    .bind(at.lat)
    .bind(at.lng)
    .bind(dlat)
    .bind(dlng)
    .bind(since)
    .bind(TicketState::Closed.as_str())
    .fetch_all(&mut *conn)
    .await?;
    complete(conn, rows).await
}

/// Returns the open duplicates of a ticket, locked.
///
/// # Errors
/// The database fails, or a row holds a value this version does not know.
pub async fn open_duplicates_of(
    conn: &mut PgConnection,
    id: TicketId,
) -> Result<Vec<Ticket>, sqlx::Error> {
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tickets WHERE duplicate_of = $1 AND state <> $2 FOR UPDATE"
    )))
    .bind(id.0)
    .bind(TicketState::Closed.as_str())
    .fetch_all(&mut *conn)
    .await?;
    complete(conn, rows).await
}

const TRANSITIONS: &str = "ticket_transitions";

#[derive(FromRow)]
struct TransitionRow {
    at: DateTime<Utc>,
    actor: String,
    from_state: Option<String>,
    to_state: String,
    action: String,
    reason: Option<String>,
    unit_kind: Option<String>,
    unit_code: Option<String>,
    unit_name: Option<String>,
    cause: Option<String>,
    return_reason: Option<String>,
    reject_reason: Option<String>,
    satisfaction: Option<i32>,
    solved: Option<bool>,
}

impl TryFrom<TransitionRow> for Transition {
    type Error = UnknownStoredValue;

    fn try_from(row: TransitionRow) -> Result<Self, Self::Error> {
        let state =
            |column, value: &str| parse_stored(TRANSITIONS, column, value, TicketState::parse);
        Ok(Transition {
            at: row.at,
            actor: row.actor,
            from: row
                .from_state
                .as_deref()
                .map(|s| state("from_state", s))
                .transpose()?,
            to: state("to_state", &row.to_state)?,
            change: parse_stored(TRANSITIONS, "action", &row.action, Change::parse)?,
            reason: row.reason,
            unit: stored_optional_unit(
                TRANSITIONS,
                "unit_kind",
                row.unit_kind.as_deref(),
                row.unit_code,
                row.unit_name,
            )?,
            cause: row
                .cause
                .as_deref()
                .map(|c| parse_stored(TRANSITIONS, "cause", c, ReopenCause::parse))
                .transpose()?,
            return_reason: row
                .return_reason
                .as_deref()
                .map(|r| parse_stored(TRANSITIONS, "return_reason", r, ReturnReason::parse))
                .transpose()?,
            reject_reason: row
                .reject_reason
                .as_deref()
                .map(|r| parse_stored(TRANSITIONS, "reject_reason", r, RejectReason::parse))
                .transpose()?,
            answer: row
                .satisfaction
                .map(|s| -> Result<FollowUpAnswer, UnknownStoredValue> {
                    Ok(FollowUpAnswer {
                        satisfaction: stored_count(TRANSITIONS, "satisfaction", s)?,
                        solved: row.solved,
                    })
                })
                .transpose()?,
        })
    }
}

/// Records an entry of `ticket`'s history.
///
/// # Errors
/// The database fails.
pub async fn record(
    conn: &mut PgConnection,
    ticket: TicketId,
    t: &Transition,
) -> Result<(), sqlx::Error> {
    let unit = t.unit.as_ref();
    sqlx::query(
        "INSERT INTO ticket_transitions (ticket_id, at, actor, from_state, to_state, action, reason, unit_kind,
                                         unit_code, unit_name, cause, return_reason, reject_reason, satisfaction,
                                         solved)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(ticket.0)
    .bind(t.at)
    .bind(&t.actor)
    .bind(t.from.map(TicketState::as_str))
    .bind(t.to.as_str())
    .bind(t.change.as_str())
    .bind(&t.reason)
    .bind(unit.map(|u| u.kind.as_str()))
    .bind(unit.map(|u| u.code.as_str()))
    .bind(unit.map(|u| u.name.as_str()))
    .bind(t.cause.map(ReopenCause::as_str))
    .bind(t.return_reason.map(ReturnReason::as_str))
    .bind(t.reject_reason.map(RejectReason::as_str))
    .bind(t.answer.map(|a| to_stored(a.satisfaction)))
    .bind(t.answer.and_then(|a| a.solved))
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns a ticket's history, oldest first.
///
/// # Errors
/// The database fails, or an entry holds a value this version does not know.
pub async fn history(
    conn: &mut PgConnection,
    ticket: TicketId,
) -> Result<Vec<Transition>, sqlx::Error> {
    let rows: Vec<TransitionRow> = sqlx::query_as(
        "SELECT at, actor, from_state, to_state, action, reason, unit_kind, unit_code, unit_name, cause,
                return_reason, reject_reason, satisfaction, solved
         FROM ticket_transitions WHERE ticket_id = $1 ORDER BY transition_id",
    )
    .bind(ticket.0)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(Transition::try_from)
        .collect::<Result<_, _>>()?)
}
