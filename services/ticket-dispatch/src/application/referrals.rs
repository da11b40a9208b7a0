//! ReferTicket (the desk refers a ticket to case review) and the review's
//! decision carried out on the ticket (`review.decision.made`, through the
//! inbox): a redispatch to the units it names, or closure with its result.

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::{Begun, CallKey, Work};
use prost::Message;

use super::tickets::{add_co_handler, close_duplicates};
use super::{Context, access, commit_with, load_ticket, no_ticket, save_move};
use crate::domain::ids::TicketId;
use crate::domain::referral::{CarryOut, ReferralRequest, ReviewDecision};
use crate::domain::state::Action;
use crate::domain::ticket::{Stamp, Ticket, TicketView};
use crate::events;

/// A ticket to refer, and what the review is asked.
#[derive(Debug, Clone, PartialEq)]
pub struct Refer {
    pub ticket: TicketId,
    pub referral: ReferralRequest,
}

/// ReferTicket: the desk refers a ticket waiting at the desk to case
/// review; it is under review, its clock still, until the decision.
/// Publishes `dispatch.ticket.referred`.
///
/// # Errors
/// INVALID_ARGUMENT naming the field, NOT_FOUND, PERMISSION_DENIED,
/// FAILED_PRECONDITION for a ticket not waiting at the desk or a
/// duplicate, or the database.
pub async fn refer_ticket<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: Refer,
    answer: impl FnOnce(&TicketView) -> A,
) -> Result<A, AppError> {
    let referral = cmd.referral.check(ctx.units.now())?;
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let mut ticket = load_ticket(work.conn(), cmd.ticket).await?;
    if !access::may_see(caller, &ticket) {
        return Err(no_ticket(cmd.ticket));
    }
    access::may_move(caller, Action::Refer, &ticket)?;
    let stamp = Stamp::new(&caller.subject, work.now());
    let rules = ctx.rules.current();
    let referred = ticket.refer(&referral, &stamp, &rules)?;
    save_move(&mut work, &rules, &ticket, &referred).await?;
    work.publish(events::referred(&ticket, &referral, &referred));
    tracing::info!(ticket = %ticket.number, "ticket referred to review");
    commit_with(work, ticket, answer).await
}

/// Carries out the review's `decision` on ticket `id` inside `work`, as
/// `actor` (the deciding leader): a redispatch, with the co-handlers'
/// tasks, or closure with its result (and the ticket's open duplicates
/// with it).
///
/// # Errors
/// NOT_FOUND, FAILED_PRECONDITION for a ticket not under review or a
/// co-handler that leads, or the database.
pub async fn carry_out_decision<A: Message>(
    work: &mut Work<A>,
    ctx: &Context,
    id: TicketId,
    decision: &ReviewDecision,
    actor: &str,
) -> Result<Ticket, AppError> {
    let rules = &*ctx.rules.current();
    let mut ticket = load_ticket(work.conn(), id).await?;
    let stamp = Stamp::new(actor, work.now());
    let carried = ticket.carry_out(decision, &stamp, rules)?;
    save_move(work, rules, &ticket, &carried).await?;
    match &decision.carry_out {
        CarryOut::Redispatch { co_handlers, .. } => {
            for unit in co_handlers {
                add_co_handler(work, rules, &mut ticket, unit.clone(), &stamp).await?;
            }
        }
        CarryOut::Close { .. } => close_duplicates(work, rules, &ticket, &stamp).await?,
    }
    Ok(ticket)
}
