//! Deadline timers: the supervision warnings (督办) at fractions of a
//! clock's allowed time, and its breach. Timers are durable rows; these are
//! their values.

use chrono::{DateTime, Utc};

use super::ids::{TaskId, TicketId, TimerId};
use super::task::Task;

/// What a timer announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimerKind {
    /// A fraction of the allowed time has passed.
    Warning,
    /// The allowed time has run out.
    Breach,
}

impl TimerKind {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TimerKind::Warning => "WARNING",
            TimerKind::Breach => "BREACH",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [TimerKind::Warning, TimerKind::Breach]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A timer to schedule for a clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlannedTimer {
    pub kind: TimerKind,
    /// The fraction of the allowed time (1 for the breach).
    pub fraction: f64,
    pub fire_at: DateTime<Utc>,
}

/// A scheduled timer of a ticket's clock, or of one of its tasks' clocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Timer {
    pub id: TimerId,
    pub ticket: TicketId,
    /// Set for a co-handler's task's clock.
    pub task: Option<TaskId>,
    pub kind: TimerKind,
    pub fraction: f64,
    pub fire_at: DateTime<Utc>,
}

/// A clock passed a warning fraction or ran out (published as
/// `dispatch.ticket.deadline_warning` or `deadline_breached`).
#[derive(Debug, Clone, PartialEq)]
pub struct DeadlineReached {
    pub kind: TimerKind,
    pub fraction: f64,
    /// When the clock runs out.
    pub due_at: DateTime<Utc>,
    /// The task whose clock it is; `None` for the ticket's own.
    pub task: Option<Task>,
}

impl DeadlineReached {
    /// Returns whether the deadline passed, which sends the ticket (or the
    /// task, for a task's clock) up the chain.
    pub fn escalates(&self) -> bool {
        self.kind == TimerKind::Breach
    }
}
