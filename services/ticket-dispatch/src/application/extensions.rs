//! RequestExtension, DecideExtension and ListExtensions: more time (延期),
//! asked for by the unit holding a ticket (or a co-handler for its task)
//! and granted or refused by the desk, whose approvals list the pending
//! requests.

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::{Begun, CallKey};
use prost::Message;

use super::{Context, access, commit_with, load_ticket, save_clock, save_task_clock};
use crate::domain::extension::{Extension, ExtensionRequest, ExtensionState};
use crate::domain::ids::{ExtensionId, TaskId, TicketId};
use crate::domain::ticket::TicketView;
use crate::repository::{extensions, tickets};

/// More working days asked for a ticket, or for one of its tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestExtension {
    pub ticket: TicketId,
    pub task: Option<TaskId>,
    pub days: u32,
    pub reason: String,
}

/// RequestExtension: the unit holding a ticket asks for more time on it,
/// a co-handler on its task; one request at a time is pending for each.
///
/// # Errors
/// NOT_FOUND, PERMISSION_DENIED, FAILED_PRECONDITION unless a unit handles
/// the ticket or while a request is pending, or the database.
pub async fn request_extension<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: RequestExtension,
    answer: impl FnOnce(&Extension) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let ticket = load_ticket(work.conn(), cmd.ticket).await?;
    match cmd.task {
        Some(task) => access::may_ask_for_task_time(caller, ticket.task(task)?)?,
        None => access::may_ask_for_time(caller, &ticket)?,
    }
    let extension = ticket.request_extension(cmd.task, cmd.days, cmd.reason)?;
    let now = work.now();
    extensions::insert(work.conn(), &extension, &caller.subject, now).await?;
    work.commit(answer(&extension)).await
}

/// The desk's decision on an extension request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecideExtension {
    pub extension: ExtensionId,
    pub grant: bool,
    pub reason: String,
}

/// DecideExtension: the desk grants a request (the ticket's clock, or the
/// task's, gets its days, with its leg and timers) or refuses it, once.
///
/// # Errors
/// NOT_FOUND, FAILED_PRECONDITION when it was decided before, or the
/// database.
pub async fn decide_extension<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: DecideExtension,
    answer: impl FnOnce(&TicketView) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let id = cmd.extension;
    let mut extension = extensions::load_for_update(work.conn(), id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("extension {id}")))?;
    extension.decide(cmd.grant)?;
    let mut ticket = tickets::load_for_update(work.conn(), extension.ticket)
        .await?
        .ok_or_else(|| anyhow::anyhow!("ticket of extension {id} vanished"))?;
    let now = work.now();
    extensions::save_decision(work.conn(), &extension, &caller.subject, &cmd.reason, now).await?;
    let rules = ctx.rules.current();
    match extension.task {
        Some(task) if extension.state == ExtensionState::Granted => {
            let task = ticket.extend_task(task, extension.days, now, &rules)?;
            save_task_clock(&mut work, &rules, &ticket, &task).await?;
        }
        Some(_) => {}
        None => {
            if ticket.apply_extension(&extension, now, &rules).is_some() {
                save_clock(&mut work, &rules, &ticket).await?;
            }
        }
    }
    commit_with(work, ticket, answer).await
}

/// ListExtensions: the pending requests of all tickets (the desk's
/// approvals), or every request of `ticket`; only the desk calls it
/// (`access::POLICY`), so no scope narrows it.
///
/// # Errors
/// The database.
pub async fn list_extensions(
    ctx: &Context,
    ticket: Option<TicketId>,
) -> Result<Vec<ExtensionRequest>, AppError> {
    let mut conn = ctx.units.read().await?;
    extensions::list(&mut conn, ticket).await
}
