//! What the deadline timers do when they fire: warn (督办), report a breach,
//! and send a ticket whose own deadline passed up the registry's chain for
//! its place and domain, to the leader the responsibility book names.
//!
//! The registry is asked with no transaction open: the tickets with a
//! breach due are read (read-only) and their chains asked for first; then
//! one unit of work claims the due timers and fires them. A breach that
//! fell due in between waits for the next round, when its chain is known.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use platform::error::AppError;
use platform::uow::{Units, Work};

use super::{record, save_move, save_task_clock};
use crate::domain::deadline::{DeadlineRules, Escalation};
use crate::domain::grid::Responsibility;
use crate::domain::ids::{TaskId, TicketId, TimerId};
use crate::domain::ticket::{Stamp, Ticket};
use crate::domain::timer::TimerKind;
use crate::events;
use crate::registry::Registry;
use crate::repository::{categories, tickets, timers};

/// Timers looked at per pass.
const BATCH: i64 = 100;

/// The registry's chain for each ticket with a breach due.
pub type Chains = HashMap<TicketId, Responsibility>;

/// Returns the registry's chain for each ticket with a breach due at
/// `now`, for its place and its category's domain. A ticket without a
/// location has an empty chain (the town centre is its backstop); so has
/// one whose chain the registry could not give (logged): its escalation is
/// not held up by an outage.
///
/// # Errors
/// The database fails.
pub async fn chains_due(
    units: &Units,
    registry: &Registry,
    now: DateTime<Utc>,
) -> Result<Chains, AppError> {
    let mut due = Vec::new();
    {
        let mut read = units.read().await?;
        for id in timers::breaching(&mut read, now, BATCH).await? {
            let Some(ticket) = tickets::find(&mut read, Some(id), "").await? else {
                continue;
            };
            let category = categories::get(&mut read, &ticket.category_code)
                .await?
                .ok_or_else(|| anyhow::anyhow!("category {} vanished", ticket.category_code))?;
            due.push((ticket, category));
        }
    }
    let mut chains = Chains::new();
    for (ticket, category) in due {
        let chain = match ticket.location {
            Some(at) => registry
                .responsible(at, &category.domain_code)
                .await
                .unwrap_or_else(|err| {
                    tracing::warn!(ticket = %ticket.number, error = %err, "escalating without the registry's chain");
                    Vec::new()
                }),
            None => Vec::new(),
        };
        let responsibility = Responsibility {
            domain_code: category.domain_code,
            chain,
            handled_by: category.handled_by,
        };
        chains.insert(ticket.id, responsibility);
    }
    Ok(chains)
}

/// Returns up to one pass's worth of the timers due at `units`' time,
/// oldest first (none set aside).
///
/// # Errors
/// The database fails.
pub async fn due(units: &Units) -> Result<Vec<TimerId>, AppError> {
    let mut read = units.read().await?;
    Ok(timers::due(&mut read, units.now(), BATCH).await?)
}

/// Fires the timer `id` inside `work` when it is still due; returns
/// whether it fired. It is claimed with `FOR UPDATE SKIP LOCKED`, so with
/// several replicas each timer fires once. A breach whose ticket's chain is
/// not in `chains` (it fell due after they were asked for) is left for the
/// next pass.
///
/// # Errors
/// The database fails, or the timer or its ticket cannot be read or moved.
pub async fn fire(
    work: &mut Work,
    rules: &DeadlineRules,
    chains: &Chains,
    id: TimerId,
) -> Result<bool, AppError> {
    let now = work.now();
    let Some(timer) = timers::claim(work.conn(), id, now).await? else {
        return Ok(false);
    };
    let chain = chains.get(&timer.ticket);
    if timer.kind == TimerKind::Breach && chain.is_none() {
        return Ok(false);
    }
    timers::mark_fired(work.conn(), timer.id, now).await?;
    let Some(mut ticket) = tickets::load_for_update(work.conn(), timer.ticket).await? else {
        return Ok(true);
    };
    let Some(reached) = ticket.deadline_reached(&timer) else {
        return Ok(true);
    };
    work.publish(events::deadline(&ticket, &reached, now));
    match &reached.task {
        Some(task) => {
            tracing::info!(ticket = %ticket.number, unit = %task.unit.code, kind = timer.kind.as_str(), "task deadline timer fired")
        }
        None => {
            tracing::info!(ticket = %ticket.number, fraction = reached.fraction, kind = timer.kind.as_str(), "deadline timer fired")
        }
    }
    let escalates = reached.escalates() && rules.escalation == Escalation::UpTheChain;
    match (chain.filter(|_| escalates), &reached.task) {
        (Some(chain), None) => escalate(work, rules, &mut ticket, chain).await?,
        (Some(chain), Some(task)) => {
            escalate_task(work, rules, &mut ticket, task.id, chain).await?;
        }
        (None, _) => {}
    }
    Ok(true)
}

/// Sets the timer `id` aside inside `work`, with `reason`: it failed and
/// fires no more (an operator looks at it in `ticket_timers`), so that it
/// does not hold back the timers after it.
///
/// # Errors
/// The database fails.
pub async fn set_aside(work: &mut Work, id: TimerId, reason: &str) -> Result<(), AppError> {
    let now = work.now();
    Ok(timers::set_aside(work.conn(), id, reason, now).await?)
}

/// Sends a ticket whose deadline passed one step up the chain.
async fn escalate(
    work: &mut Work,
    rules: &DeadlineRules,
    ticket: &mut Ticket,
    chain: &Responsibility,
) -> Result<(), AppError> {
    let Some(escalated) = ticket.escalate(chain, &Stamp::system(work.now()), rules) else {
        tracing::warn!(ticket = %ticket.number, "deadline passed at the top of the chain");
        return Ok(());
    };
    save_move(work, rules, ticket, &escalated.transition).await?;
    work.publish(events::escalated(ticket, &escalated));
    tracing::warn!(ticket = %ticket.number, to = %escalated.to.code, level = escalated.level, "ticket escalated");
    Ok(())
}

/// Sends a co-handler's task whose deadline passed one step up the chain,
/// with the timers of its new clock (the ticket's own stay as they are).
async fn escalate_task(
    work: &mut Work,
    rules: &DeadlineRules,
    ticket: &mut Ticket,
    task: TaskId,
    chain: &Responsibility,
) -> Result<(), AppError> {
    let stamp = Stamp::system(work.now());
    let Some((moved, escalated)) = ticket.escalate_task(task, chain, &stamp, rules) else {
        tracing::warn!(ticket = %ticket.number, "task deadline passed at the top of the chain");
        return Ok(());
    };
    save_task_clock(work, rules, ticket, &moved.task).await?;
    record(work, ticket, &escalated.transition).await?;
    work.publish(events::task_moved(ticket, &moved));
    work.publish(events::escalated(ticket, &escalated));
    tracing::warn!(ticket = %ticket.number, to = %escalated.to.code, "co-handler's task escalated");
    Ok(())
}
