//! What the deadline timers do when they fire: warn (督办), report a breach,
//! and send a ticket whose own deadline passed up the chain.

use platform::error::AppError;
use platform::uow::{Units, Work};

use super::save_move;
use crate::domain::deadline::DeadlineRules;
use crate::domain::ids::TimerId;
use crate::domain::ticket::{Stamp, Ticket};
use crate::events;
use crate::repository::{tickets, timers};

/// Timers looked at per pass.
const BATCH: i64 = 100;

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
/// several replicas each timer fires once.
///
/// # Errors
/// The database fails, or the timer or its ticket cannot be read or moved.
pub async fn fire(work: &mut Work, rules: &DeadlineRules, id: TimerId) -> Result<bool, AppError> {
    let now = work.now();
    let Some(timer) = timers::claim(work.conn(), id, now).await? else {
        return Ok(false);
    };
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
    if reached.escalates() {
        escalate(work, rules, &mut ticket).await?;
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
) -> Result<(), AppError> {
    let Some(escalated) = ticket.escalate(&Stamp::system(work.now()), rules) else {
        tracing::warn!(ticket = %ticket.number, "deadline passed at the top of the chain");
        return Ok(());
    };
    save_move(work, rules, ticket, &escalated.transition).await?;
    work.publish(events::escalated(ticket, &escalated));
    tracing::warn!(ticket = %ticket.number, to = %escalated.to.code, level = escalated.level, "ticket escalated");
    Ok(())
}
