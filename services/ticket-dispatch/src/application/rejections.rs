//! RejectTicket: the desk rejects what is not a case (a prank, a duplicate
//! by phone, outside the town, not a case at all) to the terminal REJECTED
//! state, closing the ticket's open duplicates with it.

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::{Begun, CallKey};
use prost::Message;

use super::tickets::close_duplicates;
use super::{Context, access, commit_with, load_ticket, no_ticket, save_move};
use crate::domain::ids::TicketId;
use crate::domain::state::{Action, RejectReason};
use crate::domain::ticket::{Stamp, TicketView};

/// A ticket to reject, why, and what the desk found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub ticket: TicketId,
    pub reason: RejectReason,
    pub note: String,
}

/// RejectTicket: the desk rejects a ticket waiting at the desk as not a
/// case. Publishes `dispatch.ticket.rejected`.
///
/// # Errors
/// NOT_FOUND, PERMISSION_DENIED, FAILED_PRECONDITION for a ticket not
/// waiting at the desk, or the database.
pub async fn reject_ticket<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: Reject,
    answer: impl FnOnce(&TicketView) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let mut ticket = load_ticket(work.conn(), cmd.ticket).await?;
    if !access::may_see(caller, &ticket) {
        return Err(no_ticket(cmd.ticket));
    }
    access::may_move(caller, Action::Reject, &ticket)?;
    let stamp = Stamp::new(&caller.subject, work.now());
    let rules = ctx.rules.current();
    let rejected = ticket.reject(cmd.reason, cmd.note, &stamp, &rules)?;
    save_move(&mut work, &rules, &ticket, &rejected).await?;
    close_duplicates(&mut work, &rules, &ticket, &stamp).await?;
    tracing::info!(ticket = %ticket.number, reason = cmd.reason.as_str(), "ticket rejected");
    commit_with(work, ticket, answer).await
}
