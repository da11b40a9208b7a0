//! The use cases: one function per use case, each inside one unit of work
//! of the platform (`platform::uow`) when it changes something. A use case
//! takes the [`Context`], the caller, the call's key and a typed command;
//! a mutation also takes the encoder of its answer, which the unit of work
//! stores for replays. It loads the aggregate, lets a domain method check
//! the rule and say what happened, saves, publishes and commits.
//!
//! - [`intake`]: CreateTicket and tickets asked for by events;
//! - [`tickets`]: the moves of a ticket and of its tasks (DispatchTicket …
//!   ResolveTask),
//!   SetClockPaused, MergeTickets, SplitTicket;
//! - [`extensions`]: RequestExtension, DecideExtension;
//! - [`referrals`]: ReferTicket, and the review's decision carried out;
//! - [`rejections`]: RejectTicket, what is not a case;
//! - [`calendar`]: GetCalendar, SetCalendar, and the calendar's edits
//!   picked up by every replica;
//! - [`queries`], [`statistics`]: GetTicket, ListTickets, GetStatistics,
//!   GetAssessment;
//! - [`deadlines`], [`routing`]: what the timers and the router do;
//! - [`access`]: who may do what.

pub mod access;
pub mod calendar;
pub mod deadlines;
pub mod extensions;
pub mod intake;
pub mod queries;
pub mod referrals;
pub mod rejections;
pub mod routing;
pub mod statistics;
pub mod tickets;

use std::sync::{Arc, PoisonError, RwLock};

use platform::error::AppError;
use platform::uow::{Units, Work};
use prost::Message;
use sqlx::PgConnection;

use crate::config::{Assessment, Duplicates};
use crate::domain::calendar::BusinessCalendar;
use crate::domain::channel::ChannelLimits;
use crate::domain::deadline::DeadlineRules;
use crate::domain::error::DomainError;
use crate::domain::ids::TicketId;
use crate::domain::task::Task;
use crate::domain::ticket::{Ticket, TicketView, Transition};
use crate::events;
use crate::registry::Registry;
use crate::repository::{self, timers};

/// The configured rules of intake and assessment.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub limits: ChannelLimits,
    pub assessment: Assessment,
    pub duplicates: Duplicates,
}

/// What every use case works with.
#[derive(Clone)]
pub struct Context {
    pub units: Units,
    pub registry: Registry,
    pub rules: Rules,
    pub policy: Policy,
}

/// The deadline rules in force, shared by the use cases and the workers.
/// An edit of the calendar swaps them whole: a use case takes the current
/// rules once ([`Rules::current`]) and works with them throughout.
#[derive(Debug, Clone)]
pub struct Rules(Arc<RwLock<InForce>>);

#[derive(Debug)]
struct InForce {
    rules: Arc<DeadlineRules>,
    /// The calendar's version they hold.
    version: i64,
}

impl Rules {
    /// Returns `rules`, holding the calendar of `version`.
    pub fn new(rules: DeadlineRules, version: i64) -> Self {
        Self(Arc::new(RwLock::new(InForce {
            rules: Arc::new(rules),
            version,
        })))
    }

    /// Returns the rules in force now.
    pub fn current(&self) -> Arc<DeadlineRules> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .rules
            .clone()
    }

    /// Returns the calendar's version the rules hold.
    pub fn version(&self) -> i64 {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .version
    }

    /// Puts `calendar` of `version` in force, unless the rules already
    /// hold that version or a later one.
    pub fn use_calendar(&self, calendar: BusinessCalendar, version: i64) {
        let mut in_force = self.0.write().unwrap_or_else(PoisonError::into_inner);
        if version > in_force.version {
            in_force.rules = Arc::new(in_force.rules.with_calendar(calendar));
            in_force.version = version;
        }
    }
}

impl From<DomainError> for AppError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::Invalid(violations) => AppError::InvalidArgument(violations),
            DomainError::LeadsTheCase(_) => AppError::invalid("co_handlers", err.to_string()),
            DomainError::TaskNotFound(id) => AppError::NotFound(format!("task {id}")),
            DomainError::IllegalTransition(_)
            | DomainError::TasksOpen(_)
            | DomainError::IllegalTaskMove { .. }
            | DomainError::TaskResolved(_)
            | DomainError::BackstopKeepsTask
            | DomainError::RepeatsAnother
            | DomainError::FollowUpFirst
            | DomainError::NotBeingHandled(_)
            | DomainError::ExtensionDecided { .. }
            | DomainError::ClockNotStarted
            | DomainError::NotAnOriginal(_)
            | DomainError::NotAtTheDesk(_)
            | DomainError::NotAnOpenDuplicate
            | DomainError::ClosedWithOriginal
            | DomainError::NeverDispatched
            | DomainError::AwaitsDecision
            | DomainError::NotUnderReview(_)
            | DomainError::ReturnRefused { .. } => AppError::FailedPrecondition(err.to_string()),
        }
    }
}

/// Returns the error for a ticket that does not exist (or not for the
/// caller).
fn no_ticket(id: TicketId) -> AppError {
    AppError::NotFound(format!("ticket {id}"))
}

/// Loads ticket `id` for update.
///
/// # Errors
/// No such ticket (NOT_FOUND), or the database.
async fn load_ticket(conn: &mut PgConnection, id: TicketId) -> Result<Ticket, AppError> {
    repository::tickets::load_for_update(conn, id)
        .await?
        .ok_or_else(|| no_ticket(id))
}

/// Returns `ticket` with its history.
async fn view_of(conn: &mut PgConnection, ticket: Ticket) -> Result<TicketView, AppError> {
    let history = repository::tickets::history(conn, ticket.id).await?;
    Ok(TicketView { ticket, history })
}

/// Commits `work`, answering with `ticket` as it is now, with its history.
async fn commit_with<A: Message>(
    mut work: Work<A>,
    ticket: Ticket,
    answer: impl FnOnce(&TicketView) -> A,
) -> Result<A, AppError> {
    let view = view_of(work.conn(), ticket).await?;
    work.commit(answer(&view)).await
}

/// Saves a ticket whose clock may have changed, with the timers it needs
/// from now on.
async fn save_clock<A: Message>(
    work: &mut Work<A>,
    rules: &DeadlineRules,
    ticket: &Ticket,
) -> Result<(), AppError> {
    let now = work.now();
    timers::replace(work.conn(), ticket.id, None, &ticket.timers(rules, now)).await?;
    repository::tickets::update(work.conn(), ticket).await?;
    Ok(())
}

/// Saves `task` of `ticket`, whose holder or clock changed (handed on,
/// escalated, paused, resumed or extended), with the ticket's legs and the
/// timers the task needs from now on.
async fn save_task_clock<A: Message>(
    work: &mut Work<A>,
    rules: &DeadlineRules,
    ticket: &Ticket,
    task: &Task,
) -> Result<(), AppError> {
    let now = work.now();
    repository::tasks::update(work.conn(), task).await?;
    repository::legs::save(work.conn(), ticket).await?;
    let planned = task.timers(ticket.limit, rules, now);
    timers::replace(work.conn(), ticket.id, Some(task.id), &planned).await?;
    repository::tickets::update(work.conn(), ticket).await?;
    Ok(())
}

/// Saves a ticket that moved (with its timers), records the move and
/// publishes it.
async fn save_move<A: Message>(
    work: &mut Work<A>,
    rules: &DeadlineRules,
    ticket: &Ticket,
    transition: &Transition,
) -> Result<(), AppError> {
    save_clock(work, rules, ticket).await?;
    record(work, ticket, transition).await
}

/// Records an entry of `ticket`'s history and publishes it, if it is
/// published.
async fn record<A: Message>(
    work: &mut Work<A>,
    ticket: &Ticket,
    transition: &Transition,
) -> Result<(), AppError> {
    repository::tickets::record(work.conn(), ticket.id, transition).await?;
    if let Some(event) = events::ticket_moved(ticket, transition) {
        work.publish(event);
    }
    Ok(())
}
