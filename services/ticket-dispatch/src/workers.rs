//! Background work: firing deadline timers (warnings, breaches and
//! escalation up the chain) and routing tickets that arrived while the
//! registry could not be reached. Both claim rows with `FOR UPDATE SKIP
//! LOCKED`, so with several replicas each timer fires once and each ticket
//! is routed once.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use platform::clock::SharedClock;
use platform::outbox::{self, RelayWaker};
use proto::dispatch::v1 as pb;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::api::{ApiError, convert};
use crate::domain::channel::{Channel, Route, triage};
use crate::domain::escalation::UnitKind;
use crate::domain::state::{Action, TicketState};
use crate::events;
use crate::registry::Registry;
use crate::repository::tickets::{self, TicketRow, TransitionRow};
use crate::repository::timers;
use crate::workflow::{self, Move, Rules, UnitRef};

/// Timers or tickets handled per transaction.
const BATCH: i64 = 100;

/// The actor recorded for what the service does by itself.
pub const SYSTEM_ACTOR: &str = "dispatch";

/// Fires due timers every `every` until `cancel` fires.
pub async fn run_timers(
    pool: PgPool,
    rules: Arc<Rules>,
    clock: SharedClock,
    waker: RelayWaker,
    every: Duration,
    cancel: CancellationToken,
) {
    loop {
        match fire_due(&pool, &rules, clock.now()).await {
            Ok(0) => {}
            Ok(fired) => {
                tracing::debug!(fired, "deadline timers fired");
                waker.wake();
                continue;
            }
            Err(err) => tracing::warn!(error = %err, "firing deadline timers failed; retrying"),
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// Fires up to one batch of timers due at `now`; returns how many.
///
/// # Errors
/// The database fails; nothing of the batch is kept.
pub async fn fire_due(pool: &PgPool, rules: &Rules, now: DateTime<Utc>) -> Result<usize, ApiError> {
    let mut txn = pool.begin().await?;
    let due = timers::claim_due(&mut txn, now, BATCH).await?;
    for timer in &due {
        timers::mark_fired(&mut txn, timer.timer_id, now).await?;
        let Some(mut ticket) = tickets::by_id_for_update(&mut txn, timer.ticket_id).await? else {
            continue;
        };
        if let Some(task_id) = timer.task_id {
            fire_task_timer(&mut txn, &ticket, task_id, timer, now).await?;
            continue;
        }
        let running = TicketState::parse(&ticket.state).is_some_and(TicketState::clock_runs)
            && ticket.paused_since.is_none();
        if !running {
            continue;
        }
        let due_at = ticket.due_at.unwrap_or(timer.fire_at);
        let (id, meta) = events::meta(SYSTEM_ACTOR, now);
        if timer.kind == "WARNING" {
            let event = pb::DeadlineEvent {
                meta: Some(meta),
                ticket: Some(convert::ticket(&ticket, &[], &[])),
                fraction: timer.fraction,
                due_at: Some(convert::timestamp(due_at)),
                task: None,
            };
            outbox::enqueue(
                &mut txn,
                &platform::outbox::OutboxEvent::encode(id, events::DEADLINE_WARNING, &event),
            )
            .await?;
            tracing::info!(ticket = %ticket.number, fraction = timer.fraction, "deadline warning");
            continue;
        }
        let event = pb::DeadlineEvent {
            meta: Some(meta),
            ticket: Some(convert::ticket(&ticket, &[], &[])),
            fraction: 1.0,
            due_at: Some(convert::timestamp(due_at)),
            task: None,
        };
        outbox::enqueue(
            &mut txn,
            &platform::outbox::OutboxEvent::encode(id, events::DEADLINE_BREACHED, &event),
        )
        .await?;
        escalate(&mut txn, rules, &mut ticket, now).await?;
    }
    txn.commit().await?;
    Ok(due.len())
}

/// Publishes a co-handler's task warning or breach, while the task is open.
async fn fire_task_timer(
    conn: &mut sqlx::PgConnection,
    ticket: &TicketRow,
    task_id: uuid::Uuid,
    timer: &timers::TimerRow,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let Some(task) = crate::repository::tasks::by_id_for_update(conn, task_id).await? else {
        return Ok(());
    };
    if task.state == "RESOLVED" {
        return Ok(());
    }
    let subject = if timer.kind == "WARNING" {
        events::DEADLINE_WARNING
    } else {
        events::DEADLINE_BREACHED
    };
    let (id, meta) = events::meta(SYSTEM_ACTOR, now);
    let event = pb::DeadlineEvent {
        meta: Some(meta),
        ticket: Some(convert::ticket(ticket, &[], &[])),
        fraction: timer.fraction,
        due_at: Some(convert::timestamp(task.due_at)),
        task: Some(convert::task(&task)),
    };
    outbox::enqueue(
        conn,
        &platform::outbox::OutboxEvent::encode(id, subject, &event),
    )
    .await?;
    tracing::info!(ticket = %ticket.number, unit = %task.unit_code, kind = %timer.kind, "task deadline timer fired");
    Ok(())
}

/// Sends a ticket whose deadline passed one step up the chain: micro-grid
/// → workstation → town centre → leader on duty. The new holder gets a
/// fresh breach timer of the same length, so a ticket ignored there climbs
/// again.
async fn escalate(
    conn: &mut sqlx::PgConnection,
    rules: &Rules,
    ticket: &mut TicketRow,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let from_kind = ticket
        .assignee_kind
        .as_deref()
        .and_then(UnitKind::parse)
        .unwrap_or(UnitKind::TownCentre);
    let Some(to_kind) = from_kind.escalates_to() else {
        tracing::warn!(ticket = %ticket.number, "deadline passed at the top of the chain");
        return Ok(());
    };
    let from = UnitRef {
        kind: from_kind,
        code: ticket.assignee_code.clone().unwrap_or_default(),
        name: ticket.assignee_name.clone().unwrap_or_default(),
    };
    let to = match to_kind {
        UnitKind::Workstation if ticket.village_code.is_some() => UnitRef {
            kind: UnitKind::Workstation,
            code: ticket.village_code.clone().unwrap_or_default(),
            name: ticket.village_code.clone().unwrap_or_default(),
        },
        UnitKind::Workstation | UnitKind::TownCentre => workflow::town_centre(),
        UnitKind::Leader => UnitRef {
            kind: UnitKind::Leader,
            code: "LEADER_ON_DUTY".into(),
            name: "镇领导（带班）".into(),
        },
        UnitKind::MicroGrid | UnitKind::Department => workflow::town_centre(),
    };
    ticket.escalation_level += 1;
    workflow::set_assignee(ticket, Some(&to));
    // A new leg for the unit above, as long as the one missed.
    if let Some(mut clock) = ticket.clock() {
        clock.started_at = now;
        clock.extension_days = 0;
        clock.paused_total = chrono::TimeDelta::zero();
        ticket.set_clock(&clock);
    }
    ticket.version += 1;
    ticket.updated_at = now;
    workflow::refresh_clock(conn, rules, ticket, now).await?;
    tickets::update(conn, ticket).await?;
    let transition = TransitionRow {
        ticket_id: ticket.ticket_id,
        at: now,
        actor: SYSTEM_ACTOR.into(),
        from_state: Some(ticket.state.clone()),
        to_state: ticket.state.clone(),
        action: "escalate".into(),
        reason: Some(format!("deadline passed at {}", from.code)),
        unit_kind: Some(to.kind.as_str().into()),
        unit_code: Some(to.code.clone()),
        unit_name: Some(to.name.clone()),
        cause: None,
    };
    tickets::record(conn, &transition).await?;
    let (id, meta) = events::meta(SYSTEM_ACTOR, now);
    let unit = |u: &UnitRef| pb::Unit {
        kind: u.kind.as_str().into(),
        code: u.code.clone(),
        name: u.name.clone(),
    };
    let event = pb::TicketEscalated {
        meta: Some(meta),
        ticket: Some(convert::ticket(ticket, &[], &[])),
        from_unit: Some(unit(&from)),
        to_unit: Some(unit(&to)),
        level: ticket.escalation_level as u32,
    };
    outbox::enqueue(
        conn,
        &platform::outbox::OutboxEvent::encode(id, events::ESCALATED, &event),
    )
    .await?;
    tracing::warn!(ticket = %ticket.number, to = %to.code, level = ticket.escalation_level, "ticket escalated");
    Ok(())
}

/// Routes unrouted tickets every `every` until `cancel` fires.
pub async fn run_router(
    pool: PgPool,
    registry: Registry,
    rules: Arc<Rules>,
    clock: SharedClock,
    waker: RelayWaker,
    every: Duration,
    cancel: CancellationToken,
) {
    loop {
        match route_unrouted(&pool, &registry, &rules, clock.now()).await {
            Ok(0) => {}
            Ok(routed) => {
                tracing::info!(routed, "unrouted tickets routed");
                waker.wake();
            }
            Err(err) => tracing::debug!(error = %err, "routing waits for the registry"),
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// Tries the registry for unrouted tickets; returns how many were routed.
/// A simple case is dispatched to its micro-grid now: its clock starts at
/// that dispatch, while its history keeps the time it waited.
///
/// # Errors
/// The registry is still unreachable, or the database fails.
pub async fn route_unrouted(
    pool: &PgPool,
    registry: &Registry,
    rules: &Rules,
    now: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let mut txn = pool.begin().await?;
    let waiting = tickets::claim_unrouted(&mut txn, BATCH).await?;
    let mut routed = 0;
    for mut ticket in waiting {
        let placement = match (ticket.lat, ticket.lng) {
            (Some(lat), Some(lng)) => registry
                .resolve(lat, lng, None)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            _ => None,
        };
        ticket.unrouted = false;
        ticket.micro_grid_code = placement.as_ref().map(|p| p.micro_grid_code.clone());
        ticket.village_code = placement.as_ref().and_then(|p| p.village_code.clone());
        ticket.updated_at = now;
        let channel = Channel::parse(&ticket.channel).unwrap_or(Channel::Department);
        match placement.filter(|_| {
            ticket.state == "RECEIVED"
                && ticket.duplicate_of.is_none()
                && triage(channel, ticket.difficult, true) == Route::MicroGrid
        }) {
            Some(p) => {
                let unit = UnitRef {
                    kind: UnitKind::MicroGrid,
                    code: p.micro_grid_code,
                    name: p.micro_grid_name,
                };
                let reason = format!(
                    "simple case: to its micro-grid, routed after waiting since {}",
                    ticket.received_at
                );
                let mv = Move {
                    action: Action::Dispatch,
                    actor: SYSTEM_ACTOR.into(),
                    reason: Some(reason),
                    unit: Some(unit),
                    at: now,
                    cause: None,
                };
                workflow::apply(&mut txn, rules, &mut ticket, mv).await?;
            }
            None => tickets::update(&mut txn, &ticket).await?,
        }
        routed += 1;
    }
    txn.commit().await?;
    Ok(routed)
}
