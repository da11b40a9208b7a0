//! What the deadline timers do when they fire: warn (督办), report a breach,
//! and send a ticket whose own deadline passed up the chain.

use platform::error::AppError;
use platform::uow::Work;

use super::save_move;
use crate::domain::deadline::{DeadlineRules, Escalation};
use crate::domain::ticket::{Stamp, Ticket};
use crate::events;
use crate::repository::{tickets, timers};

/// Timers fired per unit of work.
const BATCH: i64 = 100;

/// Fires up to one batch of the timers due at the work's time, inside
/// `work`; returns how many were due. Each is claimed with `FOR UPDATE SKIP
/// LOCKED`, so with several replicas each fires once.
///
/// # Errors
/// The database fails; nothing of the batch is kept.
pub async fn fire_due(work: &mut Work, rules: &DeadlineRules) -> Result<usize, AppError> {
    let now = work.now();
    let due = timers::claim_due(work.conn(), now, BATCH).await?;
    for timer in &due {
        timers::mark_fired(work.conn(), timer.id, now).await?;
        let Some(mut ticket) = tickets::load_for_update(work.conn(), timer.ticket).await? else {
            continue;
        };
        let Some(reached) = ticket.deadline_reached(timer) else {
            continue;
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
        if reached.escalates() && rules.escalation == Escalation::UpTheChain {
            escalate(work, rules, &mut ticket).await?;
        }
    }
    Ok(due.len())
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
