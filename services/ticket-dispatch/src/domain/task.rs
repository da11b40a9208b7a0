//! The tasks of a multi-department case: besides the lead unit (the
//! ticket's assignee) each co-handling unit gets a task with a clock of its
//! own, started at the same dispatch. The case is resolved only when every
//! task is.

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};

use super::deadline::{DeadlineClock, DeadlineRules, TimeLimit};
use super::error::DomainError;
use super::ids::TaskId;
use super::timer::{PlannedTimer, TimerKind};
use super::unit::UnitRef;

/// Where a co-handler's task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskState {
    /// Given to the unit; its clock runs.
    Dispatched,
    /// The unit signed for it.
    Accepted,
    /// The unit reports its part done.
    Resolved,
}

/// What a co-handler does to its task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskAction {
    Accept,
    Resolve,
}

impl TaskState {
    /// Every state.
    pub const ALL: [TaskState; 3] = [
        TaskState::Dispatched,
        TaskState::Accepted,
        TaskState::Resolved,
    ];

    /// Returns the stored name, e.g. `DISPATCHED`.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Dispatched => "DISPATCHED",
            TaskState::Accepted => "ACCEPTED",
            TaskState::Resolved => "RESOLVED",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == s)
    }

    /// Returns the actions allowed in this state.
    pub fn allowed(self) -> &'static [TaskAction] {
        match self {
            TaskState::Dispatched => &[TaskAction::Accept, TaskAction::Resolve],
            TaskState::Accepted => &[TaskAction::Resolve],
            TaskState::Resolved => &[],
        }
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str().to_lowercase())
    }
}

impl TaskAction {
    /// Returns the action's name as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskAction::Accept => "accept",
            TaskAction::Resolve => "resolve",
        }
    }
}

/// A co-handler's part of a multi-department case.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: TaskId,
    pub unit: UnitRef,
    pub state: TaskState,
    pub dispatched_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// What the unit did, once resolved.
    pub result: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Working days granted by extensions on this leg of the task.
    pub extension_days: u32,
    /// Time the task's clock spent paused (not counting a pause under way).
    pub paused_total: TimeDelta,
    /// Since when the task's clock is paused, if it is.
    pub paused_since: Option<DateTime<Utc>>,
}

impl Task {
    /// Returns a task for `unit`, its clock of `limit` started `at`.
    pub fn dispatch(
        unit: UnitRef,
        limit: TimeLimit,
        rules: &DeadlineRules,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            id: TaskId::generate(),
            unit,
            state: TaskState::Dispatched,
            dispatched_at: at,
            due_at: DeadlineClock::start(at, limit).due_at(&rules.calendar, at),
            result: None,
            resolved_at: None,
            extension_days: 0,
            paused_total: TimeDelta::zero(),
            paused_since: None,
        }
    }

    /// Returns the task's clock, of the ticket's `limit`: from its dispatch,
    /// with its pauses and extensions.
    pub fn clock(&self, limit: TimeLimit) -> DeadlineClock {
        DeadlineClock {
            started_at: self.dispatched_at,
            limit,
            extension_days: self.extension_days,
            paused_total: self.paused_total,
            paused_since: self.paused_since,
        }
    }

    /// Returns whether the task's clock is paused.
    pub fn is_paused(&self) -> bool {
        self.paused_since.is_some()
    }

    /// Pauses (`paused`) or resumes the task's clock at `at` and moves its
    /// deadline accordingly; pausing a paused clock, or resuming a running
    /// one, changes nothing.
    ///
    /// # Errors
    /// [`DomainError::TaskResolved`] once the unit's part is done.
    pub fn set_paused(
        &mut self,
        paused: bool,
        limit: TimeLimit,
        rules: &DeadlineRules,
        at: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        self.change_clock(limit, rules, at, |clock| {
            if paused {
                clock.pause(at);
            } else {
                clock.resume(at);
            }
        })
    }

    /// Grants the task `days` more working days.
    ///
    /// # Errors
    /// [`DomainError::TaskResolved`] once the unit's part is done.
    pub fn extend(
        &mut self,
        days: u32,
        limit: TimeLimit,
        rules: &DeadlineRules,
        at: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        self.change_clock(limit, rules, at, |clock| clock.extend(days))
    }

    fn change_clock(
        &mut self,
        limit: TimeLimit,
        rules: &DeadlineRules,
        at: DateTime<Utc>,
        change: impl FnOnce(&mut DeadlineClock),
    ) -> Result<(), DomainError> {
        if self.is_resolved() {
            return Err(DomainError::TaskResolved(self.unit.code.clone()));
        }
        let mut clock = self.clock(limit);
        change(&mut clock);
        self.extension_days = clock.extension_days;
        self.paused_total = clock.paused_total;
        self.paused_since = clock.paused_since;
        self.due_at = clock.due_at(&rules.calendar, at);
        Ok(())
    }

    /// Recomputes the deadline on `rules`' calendar as things stand `at`;
    /// returns whether it moved.
    pub fn follow_calendar(
        &mut self,
        limit: TimeLimit,
        rules: &DeadlineRules,
        at: DateTime<Utc>,
    ) -> bool {
        let due = self.clock(limit).due_at(&rules.calendar, at);
        let moved = due != self.due_at;
        self.due_at = due;
        moved
    }

    /// Returns whether the unit's part is done.
    pub fn is_resolved(&self) -> bool {
        self.state == TaskState::Resolved
    }

    /// Moves the task by `action`; a resolved task keeps `result`.
    ///
    /// # Errors
    /// [`DomainError::IllegalTaskMove`] naming the state and the allowed actions.
    pub fn apply(
        &mut self,
        action: TaskAction,
        result: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        if !self.state.allowed().contains(&action) {
            return Err(DomainError::IllegalTaskMove {
                unit: self.unit.code.clone(),
                state: self.state,
                action,
            });
        }
        match action {
            TaskAction::Accept => self.state = TaskState::Accepted,
            TaskAction::Resolve => {
                self.state = TaskState::Resolved;
                self.result = result;
                self.resolved_at = Some(at);
            }
        }
        Ok(())
    }

    /// Hands the task to `unit` (up the chain when its deadline passed, on
    /// to the party the registry names or to the desk when it was handed
    /// back): it is given again, its clock of `limit` started `at`.
    pub fn hand_to(
        &mut self,
        unit: UnitRef,
        limit: TimeLimit,
        rules: &DeadlineRules,
        at: DateTime<Utc>,
    ) {
        self.unit = unit;
        self.state = TaskState::Dispatched;
        self.dispatched_at = at;
        self.extension_days = 0;
        self.paused_total = TimeDelta::zero();
        self.paused_since = None;
        self.due_at = DeadlineClock::start(at, limit).due_at(&rules.calendar, at);
    }

    /// Returns the timers the task's clock (of `limit`, from its dispatch)
    /// needs from `now` on: the warnings still ahead and the breach; none
    /// once resolved or while paused.
    pub fn timers(
        &self,
        limit: TimeLimit,
        rules: &DeadlineRules,
        now: DateTime<Utc>,
    ) -> Vec<PlannedTimer> {
        if self.is_resolved() || self.is_paused() {
            return Vec::new();
        }
        let clock = self.clock(limit);
        let mut planned: Vec<PlannedTimer> = rules
            .warning_fractions
            .iter()
            .map(|f| PlannedTimer {
                kind: TimerKind::Warning,
                fraction: *f,
                fire_at: clock.warning_at(*f, &rules.calendar, now),
            })
            .filter(|t| t.fire_at > now)
            .collect();
        planned.push(PlannedTimer {
            kind: TimerKind::Breach,
            fraction: 1.0,
            fire_at: clock.due_at(&rules.calendar, now),
        });
        planned
    }
}

/// A task was dispatched, accepted or resolved (its state says which).
#[derive(Debug, Clone, PartialEq)]
pub struct TaskMoved {
    pub task: Task,
    pub actor: String,
    pub at: DateTime<Utc>,
}
