//! What the dispatch rules refuse. Every message is what the caller reads.

use kernel::{FieldViolation, describe};

use super::extension::ExtensionState;
use super::grid::Duty;
use super::ids::{ExtensionId, TaskId};
use super::state::{IllegalTransition, TicketState};
use super::task::{TaskAction, TaskState};

/// A change the dispatch rules do not allow.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DomainError {
    /// A request breaking intake rules, every broken rule named.
    #[error("invalid request: {}", describe(.0))]
    Invalid(Vec<FieldViolation>),
    /// A move the state machine does not allow here.
    #[error(transparent)]
    IllegalTransition(#[from] IllegalTransition),
    /// The case has co-handlers still at work.
    #[error(
        "{} co-handler task(s) still open: {}; the case is resolved when every task is",
        .0.len(),
        .0.join(", ")
    )]
    TasksOpen(Vec<String>),
    /// A co-handler's task cannot move that way.
    #[error("task of {unit} is {state}; cannot {}; allowed: {}", .action.as_str(), allowed_tasks(.state))]
    IllegalTaskMove {
        unit: String,
        state: TaskState,
        action: TaskAction,
    },
    /// The ticket has no such task.
    #[error("task {0} not found")]
    TaskNotFound(TaskId),
    /// The town centre's desk is the backstop of a task handed back: it
    /// settles the task, it does not hand it back.
    #[error(
        "the town centre's desk is the backstop (兜底): it resolves the task, it does not hand it back"
    )]
    BackstopKeepsTask,
    /// A resolved task's clock has stopped.
    #[error("the task of {0} is resolved; its clock has stopped")]
    TaskResolved(String),
    /// The unit named as co-handler already leads the case.
    #[error("{0} already leads the case")]
    LeadsTheCase(String),
    /// The ticket repeats another and is not dispatched on its own.
    #[error("ticket repeats another open ticket and closes with it; split it off to dispatch it")]
    RepeatsAnother,
    /// A verified ticket closes after the follow-up.
    #[error(
        "ticket is verified; follow up with the reporter first, or close with reporter_unreachable"
    )]
    FollowUpFirst,
    /// More time is asked for only while a unit handles the ticket.
    #[error("ticket is {0}; more time is asked for only while a unit handles it")]
    NotBeingHandled(TicketState),
    /// The extension request was decided before.
    #[error("extension {id} was already {state}")]
    ExtensionDecided {
        id: ExtensionId,
        state: ExtensionState,
    },
    /// The clock starts at the first dispatch.
    #[error("ticket is not dispatched yet; its clock has not started")]
    ClockNotStarted,
    /// A ticket is merged only into an open original.
    #[error("{0} is closed or itself a duplicate; merge into the original")]
    NotAnOriginal(String),
    /// Only a ticket waiting at the desk is merged.
    #[error("ticket is {0}; only a ticket waiting at the desk can be merged")]
    NotAtTheDesk(TicketState),
    /// A ticket under review moves only on the review's decision.
    #[error("ticket is under review; it moves on the review's decision")]
    AwaitsDecision,
    /// A review's decision is carried out only on a ticket under review.
    #[error("ticket is {0}, not under review; the decision cannot be carried out on it")]
    NotUnderReview(TicketState),
    /// A return "not our responsibility" by the unit the registry names.
    #[error(
        "return refused: the grid registry names {code} ({name}) responsible here as {}; handle the ticket, or return it for another reason",
        .duty.describe()
    )]
    ReturnRefused {
        code: String,
        name: String,
        duty: Duty,
    },
    /// Only an open duplicate is split off.
    #[error("only an open duplicate can be split off")]
    NotAnOpenDuplicate,
    /// A duplicate closed with the ticket it repeats is not reopened on
    /// its own.
    #[error("ticket was closed with the ticket it repeats; reopen that one")]
    ClosedWithOriginal,
    /// A ticket no unit ever held has no unit to go back to.
    #[error("ticket was closed before any unit held it; there is no unit to send it back to")]
    NeverDispatched,
}

fn allowed_tasks(state: &TaskState) -> String {
    match state.allowed() {
        [] => "none".to_owned(),
        allowed => allowed
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    }
}
