//! Who may do what: policies over the caller and the domain values. A rule
//! that needs only the caller's role (the desk-only calls, the assessment)
//! is checked by `api/` before it decodes the request; a rule that needs
//! the ticket is checked by the use case once the ticket is loaded.

use platform::auth::{Caller, Role};
use platform::authz::{Rule, STAFF, rule};
use platform::error::AppError;

use crate::domain::channel::Channel;
use crate::domain::escalation::UnitKind;
use crate::domain::state::Action;
use crate::domain::task::Task;
use crate::domain::ticket::Ticket;
use crate::domain::unit::town_centre;

/// Returns whether `caller` may see `ticket`: town-wide roles see all; a
/// village's staff their village; a micro-grid's people their micro-grid;
/// a department its own tickets.
pub fn may_see(caller: &Caller, ticket: &Ticket) -> bool {
    let assignee = ticket.assignee.as_ref().map(|u| u.code.as_str());
    match (caller.role, caller.scope.as_deref()) {
        (Role::TownOperator | Role::Service | Role::Reviewer, _) => true,
        (_, None) => false,
        (Role::WorkstationStaff, Some(scope)) => ticket.village_code.as_deref() == Some(scope),
        (Role::MicroGridLeader | Role::Member, Some(scope)) => {
            ticket.micro_grid_code.as_deref() == Some(scope) || assignee == Some(scope)
        }
        (Role::DepartmentOfficer, Some(scope)) => assignee == Some(scope),
        (Role::Resident | Role::Police, _) => false,
    }
}

/// Returns whether `caller` may see `ticket` as a co-handler of the case.
pub fn works_on(caller: &Caller, ticket: &Ticket) -> bool {
    caller
        .scope
        .as_deref()
        .is_some_and(|scope| ticket.tasks.iter().any(|t| t.unit.code == scope))
}

/// Returns whether `caller` acts for the unit holding `ticket` (a
/// workstation acts for its micro-grids).
pub fn holds(caller: &Caller, ticket: &Ticket) -> bool {
    let Some(assignee) = &ticket.assignee else {
        return caller.role == Role::TownOperator;
    };
    caller.role == Role::TownOperator
        || caller.scope.as_deref() == Some(assignee.code.as_str())
        || (caller.role == Role::WorkstationStaff
            && caller.scope.is_some()
            && caller.scope == ticket.village_code
            && assignee.kind == UnitKind::MicroGrid)
}

/// Checks that `caller` is the town centre's desk, which alone may `what`.
///
/// # Errors
/// PERMISSION_DENIED naming what only the desk may do.
pub fn require_desk(caller: &Caller, what: &str) -> Result<(), AppError> {
    if caller.role == Role::TownOperator {
        Ok(())
    } else {
        Err(AppError::PermissionDenied(format!(
            "only the town centre's desk may {what}"
        )))
    }
}

/// Checks that `caller` may make `action` on `ticket`: the holding unit
/// signs, handles, resolves and returns; the desk does the rest.
///
/// # Errors
/// PERMISSION_DENIED.
pub fn may_move(caller: &Caller, action: Action, ticket: &Ticket) -> Result<(), AppError> {
    match action {
        Action::Accept | Action::Start | Action::Resolve | Action::Return => {
            if holds(caller, ticket) {
                Ok(())
            } else {
                Err(AppError::PermissionDenied(
                    "only the unit holding the ticket may do this".into(),
                ))
            }
        }
        Action::Dispatch
        | Action::Verify
        | Action::FollowUp
        | Action::Close
        | Action::Reopen
        | Action::Refer
        | Action::Reject => require_desk(caller, action.as_str()),
    }
}

/// Checks that `caller` may move `task`: its own unit, or the desk.
///
/// # Errors
/// PERMISSION_DENIED.
pub fn may_move_task(caller: &Caller, task: &Task) -> Result<(), AppError> {
    if caller.role == Role::TownOperator || caller.scope.as_deref() == Some(task.unit.code.as_str())
    {
        Ok(())
    } else {
        Err(AppError::PermissionDenied(format!(
            "only {} may move its task",
            task.unit.code
        )))
    }
}

/// Checks that `caller` may ask for more time on `ticket`: the holding
/// unit.
///
/// # Errors
/// PERMISSION_DENIED.
pub fn may_ask_for_time(caller: &Caller, ticket: &Ticket) -> Result<(), AppError> {
    if holds(caller, ticket) {
        Ok(())
    } else {
        Err(AppError::PermissionDenied(
            "only the unit holding the ticket may ask for more time".into(),
        ))
    }
}

/// Checks that `caller` may ask for more time on `task`: its co-handler.
///
/// # Errors
/// PERMISSION_DENIED.
pub fn may_ask_for_task_time(caller: &Caller, task: &Task) -> Result<(), AppError> {
    if caller.scope.as_deref() == Some(task.unit.code.as_str()) {
        Ok(())
    } else {
        Err(AppError::PermissionDenied(format!(
            "only {} may ask for more time on its task",
            task.unit.code
        )))
    }
}

/// Checks that `caller`, reporting an order already taken in, may see the
/// ticket it became.
///
/// # Errors
/// PERMISSION_DENIED.
pub fn may_see_existing(caller: &Caller, ticket: &Ticket) -> Result<(), AppError> {
    if may_see(caller, ticket) {
        Ok(())
    } else {
        Err(AppError::PermissionDenied(
            "this order number belongs to a ticket outside your scope".into(),
        ))
    }
}

/// The part of the town whose tickets a caller lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketScope {
    /// Every ticket.
    Town,
    /// Tickets held by this unit (a department).
    Assignee(String),
    /// Tickets located under this grid (a village or micro-grid).
    Grid(String),
}

/// Returns the part of the town `caller` lists tickets of, whatever it asks.
///
/// # Errors
/// PERMISSION_DENIED for a role without a queue.
pub fn ticket_scope(caller: &Caller) -> Result<TicketScope, AppError> {
    match (caller.role, caller.scope.clone()) {
        (Role::TownOperator | Role::Service | Role::Reviewer, _) => Ok(TicketScope::Town),
        (Role::DepartmentOfficer, Some(scope)) => Ok(TicketScope::Assignee(scope)),
        (Role::WorkstationStaff | Role::MicroGridLeader | Role::Member, Some(scope)) => {
            Ok(TicketScope::Grid(scope))
        }
        _ => Err(AppError::PermissionDenied(format!(
            "the {} role has no ticket queue",
            caller.role
        ))),
    }
}

/// Returns the unit whose queue is `caller`'s own: the town centre for the
/// desk, else the caller's scope.
///
/// # Errors
/// PERMISSION_DENIED without a scope.
pub fn own_queue(caller: &Caller) -> Result<String, AppError> {
    match caller.role {
        Role::TownOperator => Ok(town_centre().code),
        _ => caller
            .scope
            .clone()
            .ok_or_else(|| AppError::PermissionDenied("a queue needs a scope in the token".into())),
    }
}

/// Returns the village `caller`'s statistics are limited to (`None`: the
/// whole town).
///
/// # Errors
/// PERMISSION_DENIED for a role without statistics.
pub fn statistics_scope(caller: &Caller) -> Result<Option<String>, AppError> {
    match (caller.role, caller.scope.as_deref()) {
        (Role::TownOperator | Role::Service | Role::Reviewer, _) => Ok(None),
        (Role::WorkstationStaff, Some(scope)) => Ok(Some(scope.to_owned())),
        _ => Err(AppError::PermissionDenied(format!(
            "the {} role has no statistics",
            caller.role
        ))),
    }
}

/// Who may call each RPC (role × RPC; the use case then limits each role
/// to its scope: a village its village, a micro-grid its micro-grid, a
/// department its own tickets). Residents file only through points, never
/// here; which channel each role may file on is [`may_file`]'s.
pub const POLICY: &[Rule] = &[
    rule("CreateTicket", FILERS),
    rule("GetTicket", READERS),
    rule("ListTickets", READERS),
    // The holding unit's moves (the use case checks it holds the ticket
    // or the task; the desk holds what is escalated to the town centre).
    rule("AcceptTicket", STAFF),
    rule("StartWork", STAFF),
    rule("ResolveTicket", STAFF),
    rule("ReturnTicket", STAFF),
    rule("AcceptTask", STAFF),
    rule("ResolveTask", STAFF),
    rule("ReturnTask", STAFF),
    // The desk's moves.
    rule("DispatchTicket", DESK),
    rule("VerifyTicket", DESK),
    rule("FollowUpTicket", DESK),
    rule("CloseTicket", DESK),
    rule("ReopenTicket", DESK),
    rule("RequestExtension", STAFF),
    rule("DecideExtension", DESK),
    rule("ListExtensions", DESK),
    rule("SetClockPaused", DESK),
    rule("SetTaskClockPaused", DESK),
    rule("MergeTickets", DESK),
    rule("SplitTicket", DESK),
    rule("ReferTicket", DESK),
    rule("RejectTicket", DESK),
    rule(
        "GetStatistics",
        &[
            Role::TownOperator,
            Role::WorkstationStaff,
            Role::Reviewer,
            Role::Service,
        ],
    ),
    rule("GetAssessment", DESK),
    // The taxonomy is no secret: every signed-in role may read it.
    rule("ListCategories", &Role::ALL),
    // Nor is the calendar; only the desk edits it.
    rule("GetCalendar", &Role::ALL),
    rule("SetCalendar", DESK),
];

/// The town centre's desk.
const DESK: &[Role] = &[Role::TownOperator];
/// Who takes tickets in: the town's staff on their channels, and services
/// (the 12345 and 110 integrations, points, video, the exchange).
const FILERS: &[Role] = &[
    Role::TownOperator,
    Role::WorkstationStaff,
    Role::MicroGridLeader,
    Role::Member,
    Role::DepartmentOfficer,
    Role::Service,
];
/// Who reads tickets, each within its scope.
const READERS: &[Role] = &[
    Role::TownOperator,
    Role::WorkstationStaff,
    Role::MicroGridLeader,
    Role::Member,
    Role::DepartmentOfficer,
    Role::Reviewer,
    Role::Service,
];

/// Checks that `caller` may file on `channel`: the 12345 and 110 orders
/// come from their integrations (services) or the desk; a villager's report
/// through points; camera alarms from video ingest; cross-border cases from
/// the exchange; a patrol's hazard from the grid's people; a department's
/// case from its officers; an Open311 request from the edge, which checks
/// the client's API key. The desk files on every channel.
///
/// # Errors
/// PERMISSION_DENIED naming the role and the channel.
pub fn may_file(caller: &Caller, channel: Channel) -> Result<(), AppError> {
    let allowed = match channel {
        Channel::Hotline12345
        | Channel::NonPolice110
        | Channel::VillagerApp
        | Channel::VideoAlarm
        | Channel::CrossBorder
        | Channel::Open311 => &[Role::TownOperator, Role::Service][..],
        Channel::GridPatrol => &[
            Role::TownOperator,
            Role::WorkstationStaff,
            Role::MicroGridLeader,
            Role::Member,
        ][..],
        Channel::Department => &[Role::TownOperator, Role::DepartmentOfficer][..],
    };
    if caller.has_role(allowed) {
        Ok(())
    } else {
        Err(AppError::PermissionDenied(format!(
            "the {} role may not file on the {} channel",
            caller.role,
            channel.as_str()
        )))
    }
}
