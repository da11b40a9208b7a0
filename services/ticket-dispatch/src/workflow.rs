//! Moving a ticket: the one place where a move is checked against the state
//! machine, recorded in the history, reflected in the clock and timers, and
//! published — whether a caller, the router or a timer makes it.

use chrono::{DateTime, Utc};
use platform::outbox;
use proto::dispatch::v1 as pb;
use sqlx::PgConnection;

use crate::api::{ApiError, convert};
use crate::domain::calendar::BusinessCalendar;
use crate::domain::deadline::DeadlineClock;
use crate::domain::escalation::UnitKind;
use crate::domain::state::{Action, ReopenCause, TicketState};
use crate::events;
use crate::repository::tasks::{self, TaskRow};
use crate::repository::tickets::{self, TicketRow, TransitionRow};
use crate::repository::timers;

/// A unit that can hold a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRef {
    pub kind: UnitKind,
    pub code: String,
    pub name: String,
}

/// The town centre's single desk: the backstop for what nobody owns.
pub fn town_centre() -> UnitRef {
    UnitRef {
        kind: UnitKind::TownCentre,
        code: "TOWN_CENTRE".into(),
        name: "镇城运中心".into(),
    }
}

/// What the clock and timers need to know.
#[derive(Debug, Clone)]
pub struct Rules {
    pub calendar: BusinessCalendar,
    /// Warning fractions of the allowed time, sorted.
    pub warning_fractions: Vec<f64>,
}

/// A move to make.
#[derive(Debug, Clone)]
pub struct Move {
    pub action: Action,
    pub actor: String,
    pub reason: Option<String>,
    /// Dispatch: the unit it goes to.
    pub unit: Option<UnitRef>,
    pub at: DateTime<Utc>,
    /// Reopen: why.
    pub cause: Option<ReopenCause>,
}

/// Applies `mv` to `ticket` inside the caller's transaction: checks the
/// state machine, updates the ticket and its clock, reschedules its timers,
/// records the move and enqueues its event.
///
/// # Errors
/// An illegal move (FAILED_PRECONDITION naming the state and the allowed
/// actions), or the database.
pub async fn apply(
    conn: &mut PgConnection,
    rules: &Rules,
    ticket: &mut TicketRow,
    mv: Move,
) -> Result<TransitionRow, ApiError> {
    let from = TicketState::parse(&ticket.state)
        .ok_or_else(|| anyhow::anyhow!("stored state {}", ticket.state))?;
    let to = from.apply(mv.action)?;
    match mv.action {
        Action::Dispatch => {
            let unit = mv
                .unit
                .clone()
                .ok_or_else(|| ApiError::invalid("unit", "is required to dispatch"))?;
            set_assignee(ticket, Some(&unit));
            // Every dispatch starts the clock again: a redispatched or
            // reopened ticket is a new leg for its unit.
            ticket.set_clock(&DeadlineClock::start(mv.at, ticket.limit()));
            ticket.extension_days = 0;
        }
        Action::Reopen => {
            // Back to the same unit, with a new leg on the clock.
            if let Some(unit) = &mv.unit {
                set_assignee(ticket, Some(unit));
            }
            ticket.set_clock(&DeadlineClock::start(mv.at, ticket.limit()));
            ticket.extension_days = 0;
        }
        Action::Return => {
            ticket.returns += 1;
            set_assignee(ticket, Some(&town_centre()));
        }
        _ => {}
    }
    ticket.state = to.as_str().to_owned();
    ticket.version += 1;
    ticket.updated_at = mv.at;
    if mv.action == Action::Resolve {
        let open: Vec<String> = tasks::of_ticket(conn, ticket.ticket_id)
            .await?
            .into_iter()
            .filter(|t| t.state != "RESOLVED")
            .map(|t| t.unit_code)
            .collect();
        if !open.is_empty() {
            return Err(ApiError::FailedPrecondition(format!(
                "{} co-handler task(s) still open: {}; the case is resolved when every task is",
                open.len(),
                open.join(", ")
            )));
        }
    }
    refresh_clock(conn, rules, ticket, mv.at).await?;
    tickets::update(conn, ticket).await?;
    let transition = TransitionRow {
        ticket_id: ticket.ticket_id,
        at: mv.at,
        actor: mv.actor.clone(),
        from_state: Some(from.as_str().to_owned()),
        to_state: to.as_str().to_owned(),
        action: mv.action.as_str().to_owned(),
        reason: mv.reason.clone(),
        unit_kind: mv.unit.as_ref().map(|u| u.kind.as_str().to_owned()),
        unit_code: mv.unit.as_ref().map(|u| u.code.clone()),
        unit_name: mv.unit.as_ref().map(|u| u.name.clone()),
        cause: mv.cause.map(|c| c.as_str().to_owned()),
    };
    tickets::record(conn, &transition).await?;
    publish(conn, ticket, &transition).await?;
    if mv.action == Action::Close {
        close_duplicates(conn, ticket, &mv).await?;
    }
    Ok(transition)
}

/// Closes the open duplicates of a ticket that closed: one problem, one
/// answer.
async fn close_duplicates(
    conn: &mut PgConnection,
    original: &TicketRow,
    mv: &Move,
) -> Result<(), ApiError> {
    for mut duplicate in tickets::open_duplicates_of(conn, original.ticket_id).await? {
        let from = duplicate.state.clone();
        duplicate.state = TicketState::Closed.as_str().to_owned();
        duplicate.version += 1;
        duplicate.updated_at = mv.at;
        timers::cancel(conn, duplicate.ticket_id, None).await?;
        tickets::update(conn, &duplicate).await?;
        let transition = TransitionRow {
            ticket_id: duplicate.ticket_id,
            at: mv.at,
            actor: mv.actor.clone(),
            from_state: Some(from),
            to_state: duplicate.state.clone(),
            action: Action::Close.as_str().to_owned(),
            reason: Some(format!("closed with {}", original.number)),
            unit_kind: None,
            unit_code: None,
            unit_name: None,
            cause: None,
        };
        tickets::record(conn, &transition).await?;
        publish(conn, &duplicate, &transition).await?;
    }
    Ok(())
}

/// Records and publishes the intake of a new ticket.
///
/// # Errors
/// The database fails.
pub async fn received(
    conn: &mut PgConnection,
    ticket: &TicketRow,
    actor: &str,
    duplicate_of: Option<&str>,
) -> Result<(), ApiError> {
    let transition = TransitionRow {
        ticket_id: ticket.ticket_id,
        at: ticket.received_at,
        actor: actor.to_owned(),
        from_state: None,
        to_state: TicketState::Received.as_str().to_owned(),
        action: "receive".into(),
        reason: match (duplicate_of, ticket.unrouted) {
            (Some(number), _) => Some(format!(
                "repeats the open ticket {number}: linked, not dispatched again"
            )),
            (None, true) => Some("grid registry unreachable: waiting to be routed".to_owned()),
            (None, false) => None,
        },
        unit_kind: None,
        unit_code: None,
        unit_name: None,
        cause: None,
    };
    tickets::record(conn, &transition).await?;
    publish(conn, ticket, &transition).await
}

/// Sets who holds the ticket.
pub fn set_assignee(ticket: &mut TicketRow, unit: Option<&UnitRef>) {
    ticket.assignee_kind = unit.map(|u| u.kind.as_str().to_owned());
    ticket.assignee_code = unit.map(|u| u.code.clone());
    ticket.assignee_name = unit.map(|u| u.name.clone());
}

/// Recomputes `due_at` and the pending timers from the clock: timers run
/// only while a unit holds the ticket and the clock is not paused.
///
/// # Errors
/// The database fails.
pub async fn refresh_clock(
    conn: &mut PgConnection,
    rules: &Rules,
    ticket: &mut TicketRow,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let state = TicketState::parse(&ticket.state).unwrap_or(TicketState::Received);
    match ticket.clock() {
        Some(clock) if state.clock_runs() => {
            let due = clock.due_at(&rules.calendar, now);
            ticket.due_at = Some(due);
            if clock.paused_since.is_some() {
                timers::cancel(conn, ticket.ticket_id, None).await?;
            } else {
                let mut planned: Vec<(&str, f64, DateTime<Utc>)> = rules
                    .warning_fractions
                    .iter()
                    .map(|f| ("WARNING", *f, clock.warning_at(*f, &rules.calendar, now)))
                    .filter(|(_, _, at)| *at > now)
                    .collect();
                planned.push(("BREACH", 1.0, due));
                timers::reschedule(conn, ticket.ticket_id, None, &planned).await?;
            }
        }
        _ => timers::cancel(conn, ticket.ticket_id, None).await?,
    }
    Ok(())
}

async fn publish(
    conn: &mut PgConnection,
    ticket: &TicketRow,
    transition: &TransitionRow,
) -> Result<(), ApiError> {
    let Some(subject) = events::subject_for(&transition.action) else {
        return Ok(());
    };
    let (id, meta) = events::meta(&transition.actor, transition.at);
    let event = pb::TicketEvent {
        meta: Some(meta),
        ticket: Some(convert::ticket(ticket, &[], &[])),
        transition: Some(convert::transition(transition)),
        task: None,
    };
    outbox::enqueue(
        conn,
        &platform::outbox::OutboxEvent::encode(id, subject, &event),
    )
    .await?;
    Ok(())
}

/// Gives each co-handler of a multi-department case a task with its own
/// clock, started now, as long as the ticket's.
///
/// # Errors
/// A unit named twice, or the database.
pub async fn dispatch_tasks(
    conn: &mut PgConnection,
    rules: &Rules,
    ticket: &TicketRow,
    co_handlers: &[UnitRef],
    actor: &str,
    at: DateTime<Utc>,
) -> Result<Vec<TaskRow>, ApiError> {
    let mut created = Vec::new();
    for unit in co_handlers {
        if Some(&unit.code) == ticket.assignee_code.as_ref() {
            return Err(ApiError::invalid(
                "co_handlers",
                format!("{} already leads the case", unit.code),
            ));
        }
        let clock = DeadlineClock::start(at, ticket.limit());
        let task = TaskRow {
            task_id: uuid::Uuid::now_v7(),
            ticket_id: ticket.ticket_id,
            unit_kind: unit.kind.as_str().to_owned(),
            unit_code: unit.code.clone(),
            unit_name: unit.name.clone(),
            state: "DISPATCHED".into(),
            dispatched_at: at,
            due_at: clock.due_at(&rules.calendar, at),
            result: None,
            resolved_at: None,
        };
        tasks::insert(conn, &task)
            .await
            .map_err(|e| match platform::error::constraint(&e) {
                Some("ticket_tasks_unit_key") => {
                    ApiError::invalid("co_handlers", format!("{} already has a task", unit.code))
                }
                _ => ApiError::Database(e),
            })?;
        let mut planned: Vec<(&str, f64, DateTime<Utc>)> = rules
            .warning_fractions
            .iter()
            .map(|f| ("WARNING", *f, clock.warning_at(*f, &rules.calendar, at)))
            .collect();
        planned.push(("BREACH", 1.0, task.due_at));
        timers::reschedule(conn, ticket.ticket_id, Some(task.task_id), &planned).await?;
        publish_task(conn, ticket, &task, "dispatch", actor, at).await?;
        created.push(task);
    }
    Ok(created)
}

/// Accepts or resolves a co-handler's task.
///
/// # Errors
/// An illegal move for the task, or the database.
pub async fn move_task(
    conn: &mut PgConnection,
    ticket: &TicketRow,
    task: &mut TaskRow,
    action: Action,
    result: Option<String>,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<(), ApiError> {
    let next = match (task.state.as_str(), action) {
        ("DISPATCHED", Action::Accept) => "ACCEPTED",
        ("DISPATCHED" | "ACCEPTED", Action::Resolve) => "RESOLVED",
        (state, _) => {
            let allowed = match state {
                "DISPATCHED" => "accept, resolve",
                "ACCEPTED" => "resolve",
                _ => "none",
            };
            return Err(ApiError::FailedPrecondition(format!(
                "task of {} is {}; cannot {}; allowed: {allowed}",
                task.unit_code,
                state.to_lowercase(),
                action.as_str()
            )));
        }
    };
    task.state = next.to_owned();
    if next == "RESOLVED" {
        task.result = result;
        task.resolved_at = Some(at);
        timers::cancel(conn, ticket.ticket_id, Some(task.task_id)).await?;
    }
    tasks::update(conn, task).await?;
    publish_task(conn, ticket, task, action.as_str(), actor, at).await
}

async fn publish_task(
    conn: &mut PgConnection,
    ticket: &TicketRow,
    task: &TaskRow,
    action: &str,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<(), ApiError> {
    let Some(subject) = events::subject_for(action) else {
        return Ok(());
    };
    let (id, meta) = events::meta(actor, at);
    let event = pb::TicketEvent {
        meta: Some(meta),
        ticket: Some(convert::ticket(ticket, &[], &[])),
        transition: None,
        task: Some(convert::task(task)),
    };
    outbox::enqueue(
        conn,
        &platform::outbox::OutboxEvent::encode(id, subject, &event),
    )
    .await?;
    Ok(())
}
