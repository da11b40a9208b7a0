//! Transition (the moves of a ticket and of its co-handlers' tasks),
//! SetClockPaused, MergeTickets and SplitTicket.

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::{Begun, CallKey, Work};
use prost::Message;

use super::{Context, access, commit_with, load_ticket, no_ticket, record, save_clock, save_move};
use crate::domain::deadline::DeadlineRules;
use crate::domain::grid::pick_from_chain;
use crate::domain::ids::{TaskId, TicketId};
use crate::domain::state::{Action, ReopenCause};
use crate::domain::task::TaskAction;
use crate::domain::ticket::{Stamp, Ticket, TicketView, Transition};
use crate::domain::unit::UnitRef;
use crate::events;
use crate::repository::{categories, legs, tasks, tickets, timers};

/// A move the caller asks for: of a ticket, or of one of its tasks.
#[derive(Debug, Clone, PartialEq)]
pub enum Move {
    Ticket(MoveTicket),
    Task(MoveTask),
}

/// A move of a ticket through its life.
#[derive(Debug, Clone, PartialEq)]
pub struct MoveTicket {
    pub ticket: TicketId,
    pub step: Step,
    /// Why, when the caller says (recorded in the history).
    pub reason: Option<String>,
}

/// The step of a [`MoveTicket`], with what it needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// To the unit the desk names, else the first of the responsibility
    /// chain; with co-handlers for a multi-department case.
    Dispatch {
        unit: Option<UnitRef>,
        co_handlers: Vec<UnitRef>,
    },
    Accept,
    Start,
    Resolve {
        result: String,
    },
    Return {
        reason: String,
    },
    Verify {
        result_true: bool,
    },
    FollowUp {
        satisfaction: u32,
    },
    Close {
        reporter_unreachable: bool,
    },
    Reopen {
        cause: ReopenCause,
        reason: String,
    },
}

impl Step {
    /// Returns the action of the state machine the step makes.
    pub fn action(&self) -> Action {
        match self {
            Step::Dispatch { .. } => Action::Dispatch,
            Step::Accept => Action::Accept,
            Step::Start => Action::Start,
            Step::Resolve { .. } => Action::Resolve,
            Step::Return { .. } => Action::Return,
            Step::Verify { .. } => Action::Verify,
            Step::FollowUp { .. } => Action::FollowUp,
            Step::Close { .. } => Action::Close,
            Step::Reopen { .. } => Action::Reopen,
        }
    }
}

/// A co-handler accepting or resolving its task.
#[derive(Debug, Clone, PartialEq)]
pub struct MoveTask {
    pub ticket: TicketId,
    pub task: TaskId,
    pub action: TaskAction,
    pub result: Option<String>,
}

/// Transition: moves a ticket, or a co-handler's task, and answers with the
/// ticket as it is then. A dispatch to nobody named asks the registry for
/// the responsibility chain first, with no transaction open and no key
/// claimed.
///
/// # Errors
/// NOT_FOUND (also for a ticket outside the caller's scope),
/// PERMISSION_DENIED, FAILED_PRECONDITION naming the state and the allowed
/// actions, INVALID_ARGUMENT, UNAVAILABLE (the registry cannot be reached
/// for a dispatch to nobody named), or the database.
pub async fn transition<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    mut cmd: Move,
    answer: impl FnOnce(&TicketView) -> A,
) -> Result<A, AppError> {
    if let Move::Ticket(MoveTicket {
        ticket,
        step: Step::Dispatch {
            unit: unit @ None, ..
        },
        ..
    }) = &mut cmd
    {
        match responsible_unit(ctx, caller, *ticket).await {
            Ok(found) => *unit = Some(found),
            // A call made before answers as it did, even while the
            // registry is away; a fresh one claims nothing.
            Err(err) => {
                return match ctx.units.begin(key).await? {
                    Begun::Replay(saved) => Ok(saved),
                    Begun::Fresh(_) => Err(err),
                };
            }
        }
    }
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let ticket = match cmd {
        Move::Ticket(cmd) => move_ticket(&mut work, ctx, caller, cmd).await?,
        Move::Task(cmd) => move_task(&mut work, caller, cmd).await?,
    };
    commit_with(work, ticket, answer).await
}

async fn move_ticket<A: Message>(
    work: &mut Work<A>,
    ctx: &Context,
    caller: &Caller,
    cmd: MoveTicket,
) -> Result<Ticket, AppError> {
    let mut ticket = load_ticket(work.conn(), cmd.ticket).await?;
    if !access::may_see(caller, &ticket) {
        return Err(no_ticket(cmd.ticket));
    }
    access::may_move(caller, cmd.step.action(), &ticket)?;
    let stamp = Stamp::new(&caller.subject, work.now());
    let rules: &DeadlineRules = &ctx.rules;
    let reason = cmd.reason;
    match cmd.step {
        Step::Dispatch { unit, co_handlers } => {
            ticket.ensure_dispatchable()?;
            // `transition` found the responsible unit before the unit of
            // work when the desk named none.
            let unit = unit.ok_or_else(|| AppError::invalid("unit", "is required"))?;
            let dispatched = ticket.dispatch(unit, reason, &stamp, rules)?;
            save_move(work, rules, &ticket, &dispatched).await?;
            for unit in co_handlers {
                add_co_handler(work, rules, &mut ticket, unit, &stamp).await?;
            }
        }
        Step::Accept => {
            let accepted = ticket.accept(reason, &stamp, rules)?;
            save_move(work, rules, &ticket, &accepted).await?;
        }
        Step::Start => {
            let started = ticket.start(reason, &stamp, rules)?;
            save_move(work, rules, &ticket, &started).await?;
        }
        Step::Resolve { result } => {
            let resolved = ticket.resolve(result, &stamp, rules)?;
            save_move(work, rules, &ticket, &resolved).await?;
        }
        Step::Return { reason } => {
            let returned = ticket.return_to_desk(reason, &stamp, rules)?;
            save_move(work, rules, &ticket, &returned).await?;
        }
        Step::Verify { result_true } => {
            let verified = ticket.verify(result_true, reason, &stamp, rules)?;
            save_move(work, rules, &ticket, &verified).await?;
        }
        Step::FollowUp { satisfaction } => {
            let followed_up = ticket.follow_up(satisfaction, reason, &stamp, rules)?;
            save_move(work, rules, &ticket, &followed_up).await?;
            if let Some(reopened) = ticket.reopen_if_unsatisfied(&stamp, rules)? {
                save_move(work, rules, &ticket, &reopened).await?;
            }
        }
        Step::Close {
            reporter_unreachable,
        } => {
            let closed = ticket.close(reporter_unreachable, reason, &stamp, rules)?;
            save_move(work, rules, &ticket, &closed).await?;
            close_duplicates(work, rules, &ticket, &stamp).await?;
        }
        Step::Reopen { cause, reason } => {
            let reopened = ticket.reopen(cause, reason, &stamp, rules)?;
            save_move(work, rules, &ticket, &reopened).await?;
        }
    }
    Ok(ticket)
}

/// Returns the first of the responsibility chain for ticket `id`'s place
/// and its category's safety domain. The ticket is read (read-only) and
/// checked as the move will check it under its lock, then the registry is
/// asked with no transaction open.
///
/// # Errors
/// NOT_FOUND, PERMISSION_DENIED, FAILED_PRECONDITION (a duplicate, or
/// nobody responsible there), INVALID_ARGUMENT (no location), UNAVAILABLE
/// (the registry cannot be reached), or the database.
async fn responsible_unit(
    ctx: &Context,
    caller: &Caller,
    id: TicketId,
) -> Result<UnitRef, AppError> {
    let (at, domain) = {
        let mut read = ctx.units.read().await?;
        let ticket = tickets::find(&mut read, Some(id), "")
            .await?
            .filter(|t| access::may_see(caller, t))
            .ok_or_else(|| no_ticket(id))?;
        access::may_move(caller, Action::Dispatch, &ticket)?;
        ticket.ensure_dispatchable()?;
        let Some(at) = ticket.location else {
            return Err(AppError::invalid(
                "unit",
                "is required: the ticket has no location to find who is responsible",
            ));
        };
        let category = categories::get(&mut read, &ticket.category_code)
            .await?
            .ok_or_else(|| anyhow::anyhow!("category {} vanished", ticket.category_code))?;
        (at, category.domain_code)
    };
    let chain = ctx.registry.responsible(at, &domain).await.map_err(|e| {
        AppError::Unavailable(format!("{e}; try again, or name the unit to dispatch to"))
    })?;
    pick_from_chain(&chain).ok_or_else(|| {
        AppError::FailedPrecondition(
            "the registry names nobody responsible here; name the unit to dispatch to".into(),
        )
    })
}

/// Gives `unit` a co-handler's task, with the timers of its own clock.
pub(super) async fn add_co_handler<A: Message>(
    work: &mut Work<A>,
    rules: &DeadlineRules,
    ticket: &mut Ticket,
    unit: UnitRef,
    stamp: &Stamp,
) -> Result<(), AppError> {
    let dispatched = ticket.add_co_handler(unit, stamp, rules)?;
    let task = &dispatched.task;
    tasks::insert(work.conn(), ticket.id, task).await?;
    legs::save(work.conn(), ticket).await?;
    let planned = task.timers(ticket.limit, rules);
    timers::replace(work.conn(), ticket.id, Some(task.id), &planned).await?;
    work.publish(events::task_moved(ticket, &dispatched));
    Ok(())
}

/// Closes the open duplicates of `original`, which just closed.
pub(super) async fn close_duplicates<A: Message>(
    work: &mut Work<A>,
    rules: &DeadlineRules,
    original: &Ticket,
    stamp: &Stamp,
) -> Result<(), AppError> {
    for mut duplicate in tickets::open_duplicates_of(work.conn(), original.id).await? {
        let closed = duplicate.close_with(original, stamp);
        save_move(work, rules, &duplicate, &closed).await?;
    }
    Ok(())
}

/// Accepts or resolves a co-handler's task; only its unit (or the desk)
/// may.
async fn move_task<A: Message>(
    work: &mut Work<A>,
    caller: &Caller,
    cmd: MoveTask,
) -> Result<Ticket, AppError> {
    let mut ticket = load_ticket(work.conn(), cmd.ticket).await?;
    access::may_move_task(caller, ticket.task(cmd.task)?)?;
    let stamp = Stamp::new(&caller.subject, work.now());
    let moved = ticket.move_task(cmd.task, cmd.action, cmd.result, &stamp)?;
    tasks::update(work.conn(), &moved.task).await?;
    legs::save(work.conn(), &ticket).await?;
    if moved.task.is_resolved() {
        timers::cancel(work.conn(), ticket.id, Some(moved.task.id)).await?;
    }
    work.publish(events::task_moved(&ticket, &moved));
    Ok(ticket)
}

/// A ticket's clock to pause (waiting for the citizen) or resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PauseClock {
    pub ticket: TicketId,
    pub paused: bool,
}

/// SetClockPaused: the desk pauses a ticket's clock or resumes it.
///
/// # Errors
/// NOT_FOUND, FAILED_PRECONDITION before the first dispatch, or the
/// database.
pub async fn set_clock_paused<A: Message + Default>(
    ctx: &Context,
    key: CallKey,
    cmd: PauseClock,
    answer: impl FnOnce(&TicketView) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let mut ticket = load_ticket(work.conn(), cmd.ticket).await?;
    let now = work.now();
    if cmd.paused {
        ticket.pause_clock(now, &ctx.rules)?;
    } else {
        ticket.resume_clock(now, &ctx.rules)?;
    }
    save_clock(&mut work, &ctx.rules, &ticket).await?;
    commit_with(work, ticket, answer).await
}

/// A ticket to link to the open ticket it repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merge {
    pub ticket: TicketId,
    pub into: TicketId,
    pub reason: String,
}

/// MergeTickets: the desk links a ticket waiting at the desk to the open
/// ticket it repeats; it then closes with it.
///
/// # Errors
/// NOT_FOUND, FAILED_PRECONDITION, or the database.
pub async fn merge_tickets<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: Merge,
    answer: impl FnOnce(&TicketView) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let original = load_ticket(work.conn(), cmd.into).await?;
    let mut ticket = load_ticket(work.conn(), cmd.ticket).await?;
    let stamp = Stamp::new(&caller.subject, work.now());
    let merged = ticket.merge_into(&original, &cmd.reason, &stamp)?;
    save_link(&mut work, &ticket, &merged).await?;
    commit_with(work, ticket, answer).await
}

/// A duplicate to unlink from the ticket it was thought to repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub ticket: TicketId,
    pub reason: String,
}

/// SplitTicket: the desk unlinks an open duplicate.
///
/// # Errors
/// NOT_FOUND, FAILED_PRECONDITION, or the database.
pub async fn split_ticket<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: Split,
    answer: impl FnOnce(&TicketView) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let mut ticket = load_ticket(work.conn(), cmd.ticket).await?;
    let split = ticket.split_off(cmd.reason, &Stamp::new(&caller.subject, work.now()))?;
    save_link(&mut work, &ticket, &split).await?;
    commit_with(work, ticket, answer).await
}

/// Saves a ticket linked or unlinked and records it in its history (its
/// state and clock stay; nothing is published).
async fn save_link<A: Message>(
    work: &mut Work<A>,
    ticket: &Ticket,
    transition: &Transition,
) -> Result<(), AppError> {
    tickets::update(work.conn(), ticket).await?;
    record(work, ticket, transition).await
}
