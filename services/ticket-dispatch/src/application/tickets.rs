//! The moves of a ticket and of its co-handlers' tasks (DispatchTicket,
//! AcceptTicket, … ReopenTicket, AcceptTask, ResolveTask: one use case,
//! [`transition`], for every move), SetClockPaused, MergeTickets and
//! SplitTicket.

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::{Begun, CallKey, Work};
use prost::Message;

use super::{
    Context, access, commit_with, load_ticket, no_ticket, record, save_clock, save_move,
    save_task_clock,
};
use crate::domain::deadline::DeadlineRules;
use crate::domain::error::DomainError;
use crate::domain::grid::{Responsibility, ReturnVerdict};
use crate::domain::ids::{TaskId, TicketId};
use crate::domain::state::{Action, ReopenCause, ReturnReason};
use crate::domain::task::TaskAction;
use crate::domain::ticket::{FollowUpAnswer, Stamp, Ticket, TicketView, Transition};
use crate::domain::unit::UnitRef;
use crate::events;
use crate::repository::{categories, legs, tasks, tickets, timers};

/// A move the caller asks for: of a ticket, or of one of its tasks.
#[derive(Debug, Clone, PartialEq)]
pub enum Move {
    Ticket(MoveTicket),
    Task(MoveTask),
    ReturnTask(ReturnTask),
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
    /// 退单 for `reason`, explained by `note`. For "not our
    /// responsibility", `chain` is the registry's answer for the ticket's
    /// place and domain (with the duties its category is handled by),
    /// asked before the unit of work.
    Return {
        reason: ReturnReason,
        note: String,
        chain: Option<Responsibility>,
    },
    Verify {
        result_true: bool,
    },
    FollowUp {
        answer: FollowUpAnswer,
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

/// A co-handler handing its task back (退单) for `reason`, explained by
/// `note`; for "not our responsibility", `chain` is the registry's answer,
/// asked before the unit of work.
#[derive(Debug, Clone, PartialEq)]
pub struct ReturnTask {
    pub ticket: TicketId,
    pub task: TaskId,
    pub reason: ReturnReason,
    pub note: String,
    pub chain: Option<Responsibility>,
}

/// Every move RPC: moves a ticket, or a co-handler's task, and answers with the
/// ticket as it is then. A dispatch to nobody named, and a return "not our
/// responsibility", ask the registry for the responsibility chain first,
/// with no transaction open and no key claimed.
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
    let asked = match &mut cmd {
        Move::Ticket(MoveTicket {
            ticket,
            step: Step::Dispatch {
                unit: unit @ None, ..
            },
            ..
        }) => responsible_unit(ctx, caller, *ticket)
            .await
            .map(|found| *unit = Some(found)),
        Move::Ticket(MoveTicket {
            ticket,
            step:
                Step::Return {
                    reason: ReturnReason::NotOurResponsibility,
                    chain,
                    ..
                },
            ..
        }) => responsibility_chain(ctx, caller, *ticket, Action::Return, None)
            .await
            .map(|(_, found)| *chain = Some(found)),
        Move::ReturnTask(ReturnTask {
            ticket,
            task,
            reason: ReturnReason::NotOurResponsibility,
            chain,
            ..
        }) => responsibility_chain(ctx, caller, *ticket, Action::Return, Some(*task))
            .await
            .map(|(_, found)| *chain = Some(found)),
        _ => Ok(()),
    };
    if let Err(err) = asked {
        // A call made before answers as it did, even while the registry
        // is away; a fresh one claims nothing.
        return match ctx.units.begin(key).await? {
            Begun::Replay(saved) => Ok(saved),
            Begun::Fresh(_) => Err(err),
        };
    }
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let ticket = match cmd {
        Move::Ticket(cmd) => move_ticket(&mut work, ctx, caller, cmd).await?,
        Move::Task(cmd) => move_task(&mut work, caller, cmd).await?,
        Move::ReturnTask(cmd) => return_task(&mut work, ctx, caller, cmd).await?,
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
    let rules = ctx.rules.current();
    let rules: &DeadlineRules = &rules;
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
        Step::Return {
            reason,
            note,
            chain,
        } => return_ticket(work, rules, &mut ticket, (reason, note, chain), &stamp).await?,
        Step::Verify { result_true } => {
            let verified = ticket.verify(result_true, reason, &stamp, rules)?;
            save_move(work, rules, &ticket, &verified).await?;
        }
        Step::FollowUp { answer } => {
            let followed_up = ticket.follow_up(answer, reason, &stamp, rules)?;
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

/// Hands the ticket back (退单). A return "not our responsibility" is
/// settled by the registry's `chain`: refused when it names the returning
/// unit; otherwise, unless the ticket was handed back before (ping-pong:
/// it waits at the desk and supervision is warned), it goes straight on to
/// the party the registry names, never to a unit that returned it.
async fn return_ticket<A: Message>(
    work: &mut Work<A>,
    rules: &DeadlineRules,
    ticket: &mut Ticket,
    (reason, note, chain): (ReturnReason, String, Option<Responsibility>),
    stamp: &Stamp,
) -> Result<(), AppError> {
    let verdict = match (&chain, &ticket.assignee) {
        (Some(chain), Some(returning)) => {
            Some(chain.settle_return(returning, &ticket.returned_by()))
        }
        _ => None,
    };
    if let Some(ReturnVerdict::Refused { unit, duty }) = verdict {
        return Err(DomainError::ReturnRefused {
            code: unit.code,
            name: unit.name,
            duty,
        }
        .into());
    }
    let returned = ticket.return_to_desk(reason, note, stamp, rules)?;
    save_move(work, rules, ticket, &returned).await?;
    if ticket.is_ping_pong() {
        if let Some(event) = events::supervision_warning(ticket, None, stamp) {
            work.publish(event);
        }
    } else if let Some(ReturnVerdict::Redispatch { unit, duty }) = verdict {
        let why = format!(
            "returned as not its responsibility; the grid registry names {} ({}) as {}",
            unit.code,
            unit.name,
            duty.describe()
        );
        let system = Stamp::system(stamp.at);
        let dispatched = ticket.dispatch(unit, Some(why), &system, rules)?;
        save_move(work, rules, ticket, &dispatched).await?;
    }
    Ok(())
}

/// Returns whom the desk dispatches ticket `id` to: the first of the
/// responsibility chain for its place and its category's safety domain,
/// by the duties its category is handled by, that has not handed it back.
///
/// # Errors
/// As [`responsibility_chain`]; FAILED_PRECONDITION when the registry names
/// nobody who has not returned it.
async fn responsible_unit(
    ctx: &Context,
    caller: &Caller,
    id: TicketId,
) -> Result<UnitRef, AppError> {
    let (ticket, chain) = responsibility_chain(ctx, caller, id, Action::Dispatch, None).await?;
    chain
        .pick(&ticket.returned_by())
        .map(|(unit, _)| unit)
        .ok_or_else(|| {
            AppError::FailedPrecondition(
                "the registry names nobody responsible here who has not returned the ticket; name the unit to dispatch to".into(),
            )
        })
}

/// Returns ticket `id` as it is now and the registry's responsibility
/// chain for its place and its category's safety domain, with the duties
/// the category is handled by. The ticket is
/// read (read-only) and checked as `action` (on its task `task`, if one is
/// named) will check it under its lock,
/// then the registry is asked with no transaction open. A ticket without a
/// location has no chain to return by (empty); one to dispatch needs a
/// unit named.
///
/// # Errors
/// NOT_FOUND, PERMISSION_DENIED, FAILED_PRECONDITION (a duplicate),
/// INVALID_ARGUMENT (no location to dispatch by), UNAVAILABLE (the
/// registry cannot be reached), or the database.
async fn responsibility_chain(
    ctx: &Context,
    caller: &Caller,
    id: TicketId,
    action: Action,
    task: Option<TaskId>,
) -> Result<(Ticket, Responsibility), AppError> {
    let (ticket, category) = {
        let mut read = ctx.units.read().await?;
        // A co-handler sees the case it works on.
        let ticket = tickets::find(&mut read, Some(id), "")
            .await?
            .filter(|t| {
                access::may_see(caller, t) || (task.is_some() && access::works_on(caller, t))
            })
            .ok_or_else(|| no_ticket(id))?;
        match task {
            Some(task) => access::may_move_task(caller, ticket.task(task)?)?,
            None => access::may_move(caller, action, &ticket)?,
        }
        if action == Action::Dispatch {
            ticket.ensure_dispatchable()?;
        }
        let category = categories::get(&mut read, &ticket.category_code)
            .await?
            .ok_or_else(|| anyhow::anyhow!("category {} vanished", ticket.category_code))?;
        (ticket, category)
    };
    let (handled_by, domain_code) = (category.handled_by, category.domain_code);
    let Some(at) = ticket.location else {
        if action == Action::Dispatch {
            return Err(AppError::invalid(
                "unit",
                "is required: the ticket has no location to find who is responsible",
            ));
        }
        return Ok((
            ticket,
            Responsibility {
                domain_code,
                ..Responsibility::default()
            },
        ));
    };
    let chain = ctx
        .registry
        .responsible(at, &domain_code)
        .await
        .map_err(|e| {
            let what = match action {
                Action::Dispatch => "or name the unit to dispatch to",
                _ => "or return it for another reason",
            };
            AppError::Unavailable(format!("{e}; try again, {what}"))
        })?;
    Ok((
        ticket,
        Responsibility {
            domain_code,
            chain,
            handled_by,
        },
    ))
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
    let planned = task.timers(ticket.limit, rules, stamp.at);
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

/// A co-handler hands its task back: refused when the registry names it,
/// else on to the party the registry names or to the desk (a second return
/// goes to the desk with a supervision warning); the returned leg counts
/// against the unit.
async fn return_task<A: Message>(
    work: &mut Work<A>,
    ctx: &Context,
    caller: &Caller,
    cmd: ReturnTask,
) -> Result<Ticket, AppError> {
    let mut ticket = load_ticket(work.conn(), cmd.ticket).await?;
    access::may_move_task(caller, ticket.task(cmd.task)?)?;
    let stamp = Stamp::new(&caller.subject, work.now());
    let rules = ctx.rules.current();
    let (moved, transition, ping_pong) = ticket.return_task(
        cmd.task,
        (cmd.reason, cmd.note),
        cmd.chain.as_ref(),
        &stamp,
        &rules,
    )?;
    save_task_clock(work, &rules, &ticket, &moved.task).await?;
    tickets::record(work.conn(), ticket.id, &transition).await?;
    work.publish(events::task_moved(&ticket, &moved));
    if ping_pong
        && let Some(event) = events::supervision_warning(&ticket, Some(moved.task.id), &stamp)
    {
        work.publish(event);
    }
    tracing::info!(ticket_id = %ticket.id, task_id = %moved.task.id, to = %moved.task.unit.code, ping_pong, "co-handler's task returned");
    Ok(ticket)
}

/// A clock to pause or resume: a ticket's own (waiting for the citizen),
/// or that of its co-handler's task `task` (the co-handler waits on
/// something outside its hands).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PauseClock {
    pub ticket: TicketId,
    pub task: Option<TaskId>,
    pub paused: bool,
    /// Why (required to pause; may be blank to resume).
    pub reason: String,
}

/// SetClockPaused and SetTaskClockPaused: the desk pauses a ticket's clock,
/// or a task's, or resumes it; the deadline, the open leg and the timers
/// move with it, and the history records who did it, when and why (a
/// pause or resume that changes nothing records nothing).
///
/// # Errors
/// NOT_FOUND (no such ticket or task), FAILED_PRECONDITION before the
/// first dispatch or for a resolved task, or the database.
pub async fn set_clock_paused<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
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
    let rules = ctx.rules.current();
    let stamp = Stamp::new(&caller.subject, now);
    let set = ticket.set_clock_paused(cmd.task, cmd.paused, &cmd.reason, &stamp, &rules)?;
    match &set.task {
        Some(task) => save_task_clock(&mut work, &rules, &ticket, task).await?,
        None => save_clock(&mut work, &rules, &ticket).await?,
    }
    if let Some(entry) = &set.entry {
        record(&mut work, &ticket, entry).await?;
    }
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
