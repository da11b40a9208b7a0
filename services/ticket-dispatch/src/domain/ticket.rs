//! The ticket aggregate: a report or work order with its co-handlers'
//! tasks, its deadline clock and its history. Every change is a method that
//! checks the rule and returns what happened (the history entry, which most
//! changes publish); the caller stores the ticket and records the entry.

use chrono::{DateTime, TimeDelta, Utc};

use super::channel::{Channel, ChannelLimits, Route, triage};
use super::deadline::{DeadlineClock, DeadlineRules, TimeLimit};
use super::error::DomainError;
use super::escalation::{UnitKind, escalation_target};
use super::extension::{Extension, ExtensionState};
use super::grid::{LatLng, Placement, Responsibility, ReturnVerdict};
use super::ids::{ExtensionId, TaskId, TicketId};
use super::intake::{Intake, Priority};
use super::leg::{Leg, LegOutcome, LegStart};
use super::referral::{CarryOut, Referral, ReviewDecision};
use super::state::{Action, RejectReason, ReopenCause, ReturnReason, TicketState};
use super::task::{Task, TaskAction, TaskMoved};
use super::timer::{DeadlineReached, PlannedTimer, Timer, TimerKind};
use super::unit::{UnitRef, town_centre};

/// The actor recorded for what the service does by itself (triage, the
/// router, timers).
pub const SYSTEM_ACTOR: &str = "dispatch";

/// A rating at or below this, at the follow-up, sends a ticket back to its
/// unit.
const LOW_SATISFACTION: u32 = 2;

/// Who makes a change, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub actor: String,
    pub at: DateTime<Utc>,
}

impl Stamp {
    /// Returns the stamp of `actor` acting `at`.
    pub fn new(actor: impl Into<String>, at: DateTime<Utc>) -> Self {
        Self {
            actor: actor.into(),
            at,
        }
    }

    /// Returns the stamp of the service acting by itself `at`.
    pub fn system(at: DateTime<Utc>) -> Self {
        Self::new(SYSTEM_ACTOR, at)
    }
}

/// What an entry of a ticket's history records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Change {
    /// Taken in.
    Receive,
    /// A move of the state machine.
    Move(Action),
    /// Sent up the chain after a missed deadline (the state stays).
    Escalate,
    /// Linked to the open ticket it repeats (the state stays).
    Merge,
    /// Unlinked from the ticket it was thought to repeat (the state stays).
    Split,
    /// The desk paused the ticket's clock or a task's (the state stays).
    Pause,
    /// The desk resumed it (the state stays).
    Resume,
}

impl Change {
    /// Returns the stored name: the action's (`follow_up`), or `receive`,
    /// `escalate`, `merge`, `split`, `pause`, `resume`.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Receive => "receive",
            Change::Move(action) => action.as_str(),
            Change::Escalate => "escalate",
            Change::Merge => "merge",
            Change::Split => "split",
            Change::Pause => "pause",
            Change::Resume => "resume",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "receive" => Change::Receive,
            "escalate" => Change::Escalate,
            "merge" => Change::Merge,
            "split" => Change::Split,
            "pause" => Change::Pause,
            "resume" => Change::Resume,
            action => Change::Move(Action::parse(action)?),
        })
    }
}

/// One entry of a ticket's history: who, when, from, to, why.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub at: DateTime<Utc>,
    pub actor: String,
    /// `None` when the ticket was taken in.
    pub from: Option<TicketState>,
    pub to: TicketState,
    pub change: Change,
    pub reason: Option<String>,
    /// The unit it went to (dispatch, reopen, escalation).
    pub unit: Option<UnitRef>,
    /// Why it was reopened.
    pub cause: Option<ReopenCause>,
    /// Why it was handed back (退单).
    pub return_reason: Option<ReturnReason>,
    /// Why the desk rejected it as not a case.
    pub reject_reason: Option<RejectReason>,
    /// The reporter's answer at a follow-up (回访).
    pub answer: Option<FollowUpAnswer>,
}

/// What the reporter answered at a follow-up (回访): every answer is kept,
/// so 满意率 counts every rating given and 实际解决率 the last word on
/// whether the problem is solved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowUpAnswer {
    /// 1–5; 1 or 2 sends the ticket back to its unit.
    pub satisfaction: u32,
    /// Whether the reporter says the problem is solved; `None` when not
    /// asked.
    pub solved: Option<bool>,
}

/// A report or work order, followed to the end.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    pub id: TicketId,
    /// The human number, e.g. `LX-2026-000123`.
    pub number: String,
    pub channel: Channel,
    /// The channel's reference, else the client's key.
    pub external_ref: Option<String>,
    pub category_code: String,
    pub title: String,
    pub description: String,
    pub location: Option<LatLng>,
    pub micro_grid_code: Option<String>,
    pub village_code: Option<String>,
    pub state: TicketState,
    /// Waiting for the registry to say where it lies.
    pub unrouted: bool,
    pub difficult: bool,
    /// The unit holding it.
    pub assignee: Option<UnitRef>,
    pub received_at: DateTime<Utc>,
    pub limit: TimeLimit,
    /// The clock of the current leg, from the first dispatch on.
    pub clock: Option<DeadlineClock>,
    /// When the current leg runs out, as of the last change.
    pub due_at: Option<DateTime<Utc>>,
    /// The reporter's rating at the follow-up, 1–5.
    pub satisfaction: Option<u32>,
    /// How often it was handed back to the desk.
    pub returns: u32,
    /// What supervision (督办) must look at: set when it was handed back a
    /// second time (ping-pong) and went to the desk.
    pub supervision_warning: Option<String>,
    pub escalation_level: u32,
    /// Personal data: shown only masked.
    pub reporter_phone: Option<String>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    /// The open ticket this one repeats.
    pub duplicate_of: Option<TicketId>,
    /// The co-handlers' tasks, in dispatch order.
    pub tasks: Vec<Task>,
    pub priority: Priority,
    /// Every time it or one of its tasks was put in a unit's hands, in
    /// order.
    pub legs: Vec<Leg>,
}

/// A ticket with its history, as a caller sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketView {
    pub ticket: Ticket,
    pub history: Vec<Transition>,
}

/// A clock the desk paused or resumed ([`Ticket::set_clock_paused`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ClockSet {
    /// The task, when it was a task's clock.
    pub task: Option<Task>,
    /// The history entry; `None` when the clock already was so.
    pub entry: Option<Transition>,
}

/// A ticket went one step up the chain after its deadline passed.
#[derive(Debug, Clone, PartialEq)]
pub struct Escalated {
    pub from: UnitRef,
    pub to: UnitRef,
    pub level: u32,
    pub transition: Transition,
}

/// A ticket's clock was paused or resumed, or extended by a granted
/// extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockChanged {
    pub paused: bool,
    pub extension_days: u32,
    pub due_at: Option<DateTime<Utc>>,
}

/// How a move is recorded besides its states.
#[derive(Debug, Default)]
struct Note {
    reason: Option<String>,
    unit: Option<UnitRef>,
    cause: Option<ReopenCause>,
    return_reason: Option<ReturnReason>,
    reject_reason: Option<RejectReason>,
    answer: Option<FollowUpAnswer>,
}

impl Note {
    fn reason(reason: Option<String>) -> Self {
        Self {
            reason,
            ..Self::default()
        }
    }
}

impl Ticket {
    /// Takes a ticket in: numbered `number`, received now, linked to the
    /// open ticket it repeats, if any. Returns it with its first history
    /// entry. A channel with a limit of its own (110, 12345) counts it from
    /// receipt: the desk's own dispatching time is inside it, so the
    /// ticket's clock starts now, on a leg held by the desk.
    pub fn receive(
        id: TicketId,
        number: String,
        intake: &Intake,
        original: Option<&Ticket>,
        limits: &ChannelLimits,
        stamp: &Stamp,
        rules: &DeadlineRules,
    ) -> (Ticket, Transition) {
        let new = &intake.ticket;
        let placement = intake.placement.as_ref();
        let mut ticket = Ticket {
            id,
            number,
            channel: new.channel,
            external_ref: new.reference.clone(),
            category_code: new.category.code.clone(),
            title: new.title.clone(),
            description: new.description.clone(),
            location: new.location,
            micro_grid_code: placement.map(|p| p.micro_grid_code.clone()),
            village_code: placement.and_then(|p| p.village_code.clone()),
            state: TicketState::Received,
            unrouted: intake.unrouted,
            difficult: new.difficult || new.category.difficult,
            assignee: None,
            received_at: stamp.at,
            limit: new
                .channel
                .time_limit(limits)
                .unwrap_or(TimeLimit::WorkingDays(new.category.working_days)),
            clock: None,
            due_at: None,
            satisfaction: None,
            returns: 0,
            supervision_warning: None,
            escalation_level: 0,
            reporter_phone: new.reporter_phone.clone(),
            version: 1,
            updated_at: stamp.at,
            duplicate_of: original.map(|o| o.id),
            tasks: Vec::new(),
            priority: new.priority,
            legs: Vec::new(),
        };
        if original.is_none() && new.channel.time_limit(limits).is_some() {
            let clock = DeadlineClock::start(stamp.at, ticket.limit);
            let due = clock.due_at(&rules.calendar, stamp.at);
            ticket.clock = Some(clock);
            ticket.due_at = Some(due);
            ticket.push_leg(None, town_centre(), LegStart::Desk, stamp.at, due);
        }
        let reason = match (original, intake.unrouted) {
            (Some(original), _) => Some(format!(
                "repeats the open ticket {}: linked, not dispatched again",
                original.number
            )),
            (None, true) => Some("grid registry unreachable: waiting to be routed".to_owned()),
            (None, false) => None,
        };
        let received = Transition {
            at: stamp.at,
            actor: stamp.actor.clone(),
            from: None,
            to: TicketState::Received,
            change: Change::Receive,
            reason,
            unit: None,
            cause: None,
            return_reason: None,
            reject_reason: None,
            answer: None,
        };
        (ticket, received)
    }

    /// Returns the workstation of the ticket's village, if it lies in one.
    fn village(&self) -> Option<UnitRef> {
        self.village_code
            .as_ref()
            .map(|v| UnitRef::new(UnitKind::Workstation, v, v))
    }

    /// Returns the micro-grid a simple case at `placement` goes straight
    /// to; `None` when it waits for the desk (see [`triage`]) or repeats
    /// another ticket.
    pub fn simple_case_unit(&self, placement: &Placement) -> Option<UnitRef> {
        let simple = self.state == TicketState::Received
            && self.duplicate_of.is_none()
            && triage(self.channel, self.difficult, true) == Route::MicroGrid;
        simple.then(|| {
            UnitRef::new(
                UnitKind::MicroGrid,
                placement.micro_grid_code.clone(),
                placement.micro_grid_name.clone(),
            )
        })
    }

    /// Records where the ticket lies, now that the registry said
    /// (`None`: outside every micro-grid).
    pub fn routed(&mut self, placement: Option<&Placement>, at: DateTime<Utc>) {
        self.unrouted = false;
        self.micro_grid_code = placement.map(|p| p.micro_grid_code.clone());
        self.village_code = placement.and_then(|p| p.village_code.clone());
        self.updated_at = at;
    }

    /// Checks that the ticket may be dispatched on its own: a duplicate
    /// closes with the ticket it repeats, and a ticket under review moves
    /// on the review's decision.
    ///
    /// # Errors
    /// [`DomainError::RepeatsAnother`], [`DomainError::AwaitsDecision`].
    pub fn ensure_dispatchable(&self) -> Result<(), DomainError> {
        match self.duplicate_of {
            Some(_) => Err(DomainError::RepeatsAnother),
            None if self.state == TicketState::UnderReview => Err(DomainError::AwaitsDecision),
            None => Ok(()),
        }
    }

    /// Dispatches the ticket to `unit`; a new leg of the clock starts now.
    ///
    /// # Errors
    /// A duplicate, or a state that allows no dispatch.
    pub fn dispatch(
        &mut self,
        unit: UnitRef,
        reason: Option<String>,
        stamp: &Stamp,
        rules: &DeadlineRules,
    ) -> Result<Transition, DomainError> {
        self.ensure_dispatchable()?;
        let note = Note {
            reason,
            unit: Some(unit),
            ..Note::default()
        };
        self.step(Action::Dispatch, note, stamp, rules)
    }

    /// The desk refers the ticket to case review (研判): it waits, its
    /// clock still, until the review's decision.
    ///
    /// # Errors
    /// A duplicate, or a ticket not waiting at the desk.
    pub fn refer(
        &mut self,
        referral: &Referral,
        stamp: &Stamp,
        rules: &DeadlineRules,
    ) -> Result<Transition, DomainError> {
        self.ensure_dispatchable()?;
        let note = Note::reason(Some(referral.question.clone()));
        self.step(Action::Refer, note, stamp, rules)
    }

    /// Carries out the review's decision: a redispatch to the lead unit it
    /// names (the co-handlers' tasks are added after), or closure with its
    /// result.
    ///
    /// # Errors
    /// [`DomainError::NotUnderReview`].
    pub fn carry_out(
        &mut self,
        decision: &ReviewDecision,
        stamp: &Stamp,
        rules: &DeadlineRules,
    ) -> Result<Transition, DomainError> {
        if self.state != TicketState::UnderReview {
            return Err(DomainError::NotUnderReview(self.state));
        }
        match &decision.carry_out {
            CarryOut::Redispatch { lead, .. } => {
                let note = Note {
                    reason: Some(decision.note()),
                    unit: Some(lead.clone()),
                    ..Note::default()
                };
                self.step(Action::Dispatch, note, stamp, rules)
            }
            CarryOut::Close { result } => {
                let note = Note::reason(Some(format!("{result} ({})", decision.note())));
                self.step(Action::Close, note, stamp, rules)
            }
        }
    }

    /// The holding unit signs for the ticket.
    ///
    /// # Errors
    /// A state that allows no signature.
    pub fn accept(
        &mut self,
        reason: Option<String>,
        stamp: &Stamp,
        rules: &DeadlineRules,
    ) -> Result<Transition, DomainError> {
        self.step(Action::Accept, Note::reason(reason), stamp, rules)
    }

    /// The holding unit starts handling the ticket.
    ///
    /// # Errors
    /// A state that allows no start.
    pub fn start(
        &mut self,
        reason: Option<String>,
        stamp: &Stamp,
        rules: &DeadlineRules,
    ) -> Result<Transition, DomainError> {
        self.step(Action::Start, Note::reason(reason), stamp, rules)
    }

    /// The holding unit reports `result`: the case is resolved, provided
    /// every co-handler's task is.
    ///
    /// # Errors
    /// A state that allows no resolution, or open tasks.
    pub fn resolve(
        &mut self,
        result: String,
        stamp: &Stamp,
        rules: &DeadlineRules,
    ) -> Result<Transition, DomainError> {
        self.step(Action::Resolve, Note::reason(Some(result)), stamp, rules)
    }

    /// The holding unit hands the ticket back to the desk (退单) for
    /// `reason`, explained by `note`; it counts against the unit, on the
    /// leg it ends. The desk then holds it on a clock of its own (a new
    /// leg of the ticket's limit: the unit it goes to next gets what is
    /// left of it). A second return is ping-pong: supervision is warned
    /// ([`Ticket::supervision_warning`]).
    ///
    /// # Errors
    /// A state that allows no return.
    pub fn return_to_desk(
        &mut self,
        reason: ReturnReason,
        note: String,
        stamp: &Stamp,
        rules: &DeadlineRules,
    ) -> Result<Transition, DomainError> {
        let note = Note {
            reason: Some(note),
            return_reason: Some(reason),
            ..Note::default()
        };
        self.step(Action::Return, note, stamp, rules)
    }

    /// The desk rejects the ticket, waiting at the desk, as not a case for
    /// `reason`, explained by `note`: REJECTED, terminal; its clock stops.
    ///
    /// # Errors
    /// A state that allows no rejection.
    pub fn reject(
        &mut self,
        reason: RejectReason,
        note: String,
        stamp: &Stamp,
        rules: &DeadlineRules,
    ) -> Result<Transition, DomainError> {
        let note = Note {
            reason: Some(note),
            reject_reason: Some(reason),
            ..Note::default()
        };
        self.step(Action::Reject, note, stamp, rules)
    }

    /// Returns the legs of the ticket its units handed back, in order.
    pub fn returned_legs(&self) -> impl Iterator<Item = &Leg> {
        self.returned_legs_of(None)
    }

    /// Returns the legs handed back of the ticket itself (`None`) or of its
    /// task `task`, in order.
    pub fn returned_legs_of(&self, task: Option<TaskId>) -> impl Iterator<Item = &Leg> {
        self.legs
            .iter()
            .filter(move |leg| leg.task == task && leg.outcome == Some(LegOutcome::Returned))
    }

    /// Returns the codes of the units that handed the ticket back, in
    /// order.
    pub fn returned_by(&self) -> Vec<String> {
        self.returned_legs()
            .map(|leg| leg.unit.code.clone())
            .collect()
    }

    /// Returns whether the ticket was handed back more than once: the next
    /// return, or this one, is ping-pong and goes to the desk.
    pub fn is_ping_pong(&self) -> bool {
        self.returns >= 2
    }

    /// The town checks the unit's result: a true one is verified, an untrue
    /// one sends the ticket back to the same unit, counting against it.
    ///
    /// # Errors
    /// A state that allows no verification.
    pub fn verify(
        &mut self,
        result_true: bool,
        reason: Option<String>,
        stamp: &Stamp,
        rules: &DeadlineRules,
    ) -> Result<Transition, DomainError> {
        if result_true {
            return self.step(Action::Verify, Note::reason(reason), stamp, rules);
        }
        self.state.apply(Action::Verify)?;
        let reason = reason.unwrap_or_else(|| "verification found the result untrue".into());
        self.reopen(ReopenCause::ResultUntrue, reason, stamp, rules)
    }

    /// Records the reporter's answer at the follow-up (回访): the rating
    /// (1–5) and, when asked, whether the problem is solved.
    ///
    /// # Errors
    /// A state that allows no follow-up.
    pub fn follow_up(
        &mut self,
        answer: FollowUpAnswer,
        reason: Option<String>,
        stamp: &Stamp,
        rules: &DeadlineRules,
    ) -> Result<Transition, DomainError> {
        let note = Note {
            reason,
            answer: Some(answer),
            ..Note::default()
        };
        let followed_up = self.step(Action::FollowUp, note, stamp, rules)?;
        self.satisfaction = Some(answer.satisfaction);
        Ok(followed_up)
    }

    /// Sends a ticket just rated 1 or 2 of 5 back to its unit; `None` when
    /// the rating was good enough.
    ///
    /// # Errors
    /// A state that allows no reopening.
    pub fn reopen_if_unsatisfied(
        &mut self,
        stamp: &Stamp,
        rules: &DeadlineRules,
    ) -> Result<Option<Transition>, DomainError> {
        match self.satisfaction {
            Some(rating) if self.state == TicketState::FollowedUp && rating <= LOW_SATISFACTION => {
                let reason = format!("reporter rated the handling {rating} of 5");
                self.reopen(ReopenCause::Unsatisfied, reason, stamp, rules)
                    .map(Some)
            }
            _ => Ok(None),
        }
    }

    /// Closes the ticket. A verified ticket is closed without its follow-up
    /// only when the reporter cannot be reached.
    ///
    /// # Errors
    /// A state that allows no closing, or a follow-up still due.
    pub fn close(
        &mut self,
        reporter_unreachable: bool,
        reason: Option<String>,
        stamp: &Stamp,
        rules: &DeadlineRules,
    ) -> Result<Transition, DomainError> {
        if self.state == TicketState::Verified && !reporter_unreachable {
            return Err(DomainError::FollowUpFirst);
        }
        if self.state == TicketState::UnderReview {
            return Err(DomainError::AwaitsDecision);
        }
        self.step(Action::Close, Note::reason(reason), stamp, rules)
    }

    /// Closes this duplicate together with the `original` it repeats: one
    /// problem, one answer.
    pub fn close_with(&mut self, original: &Ticket, stamp: &Stamp) -> Transition {
        let from = std::mem::replace(&mut self.state, TicketState::Closed);
        self.version += 1;
        self.updated_at = stamp.at;
        Transition {
            at: stamp.at,
            actor: stamp.actor.clone(),
            from: Some(from),
            to: TicketState::Closed,
            change: Change::Move(Action::Close),
            reason: Some(format!("closed with {}", original.number)),
            unit: None,
            cause: None,
            return_reason: None,
            reject_reason: None,
            answer: None,
        }
    }

    /// Sends the ticket back to the unit holding it for `cause`, with a new
    /// leg on the clock. A duplicate closed with the ticket it repeats, and
    /// a ticket closed before any unit held it (a review's closure), stay
    /// closed: there is no unit to send them back to.
    ///
    /// # Errors
    /// A state that allows no reopening; [`DomainError::ClosedWithOriginal`],
    /// [`DomainError::NeverDispatched`].
    pub fn reopen(
        &mut self,
        cause: ReopenCause,
        reason: String,
        stamp: &Stamp,
        rules: &DeadlineRules,
    ) -> Result<Transition, DomainError> {
        self.state.apply(Action::Reopen)?;
        if self.duplicate_of.is_some() {
            return Err(DomainError::ClosedWithOriginal);
        }
        if self.assignee.is_none() {
            return Err(DomainError::NeverDispatched);
        }
        let note = Note {
            reason: Some(reason),
            unit: self.assignee.clone(),
            cause: Some(cause),
            ..Note::default()
        };
        self.step(Action::Reopen, note, stamp, rules)
    }

    /// Makes one move of the state machine: the one place a move is checked
    /// and reflected in the holder, the clock and the counters.
    fn step(
        &mut self,
        action: Action,
        note: Note,
        stamp: &Stamp,
        rules: &DeadlineRules,
    ) -> Result<Transition, DomainError> {
        let from = self.state;
        let to = from.apply(action)?;
        match action {
            Action::Dispatch | Action::Reopen => {
                // Every dispatch starts the clock again: a redispatched or
                // reopened ticket is a new leg for its unit. Only a clock
                // the desk held runs on: the unit gets what is left of it.
                let runs_on = action == Action::Dispatch && self.clock_held_at_desk();
                if let Some(unit) = &note.unit {
                    self.assignee = Some(unit.clone());
                }
                if !runs_on {
                    self.clock = Some(DeadlineClock::start(stamp.at, self.limit));
                }
                let outcome = if from.waits_at_desk() {
                    LegOutcome::Dispatched
                } else {
                    LegOutcome::Withdrawn
                };
                self.end_leg(outcome, stamp.at);
            }
            Action::Return => {
                self.returns += 1;
                self.assignee = Some(town_centre());
                if let (Some(leg), Some(reason)) = (self.open_leg(), note.return_reason) {
                    leg.end_returned(reason, stamp.at);
                }
                // The desk's time to dispatch it again is on the clock.
                let clock = DeadlineClock::start(stamp.at, self.limit);
                let due = clock.due_at(&rules.calendar, stamp.at);
                self.clock = Some(clock);
                self.push_leg(None, town_centre(), LegStart::Desk, stamp.at, due);
                if self.is_ping_pong() {
                    self.supervision_warning = Some(format!(
                        "退单 ping-pong: handed back {} times (by {}); the desk settles who handles it",
                        self.returns,
                        self.returned_by().join(", ")
                    ));
                }
            }
            Action::Resolve => {
                let open: Vec<String> = self
                    .tasks
                    .iter()
                    .filter(|t| !t.is_resolved())
                    .map(|t| t.unit.code.clone())
                    .collect();
                if !open.is_empty() {
                    return Err(DomainError::TasksOpen(open));
                }
                self.end_leg(LegOutcome::Resolved, stamp.at);
            }
            Action::Accept => {
                if let Some(leg) = self.open_leg() {
                    leg.sign(stamp.at);
                }
            }
            Action::Refer | Action::Reject => self.end_leg(LegOutcome::Withdrawn, stamp.at),
            _ => {}
        }
        self.state = to;
        self.touch(stamp.at, rules);
        if matches!(action, Action::Dispatch | Action::Reopen) {
            let start = match action {
                Action::Reopen => LegStart::Reopen,
                _ if self.had_a_unit() => LegStart::Redispatch,
                _ => LegStart::Dispatch,
            };
            self.give_leg(start, stamp.at);
        }
        Ok(Transition {
            at: stamp.at,
            actor: stamp.actor.clone(),
            from: Some(from),
            to,
            change: Change::Move(action),
            reason: note.reason,
            unit: note.unit,
            cause: note.cause,
            return_reason: note.return_reason,
            reject_reason: note.reject_reason,
            answer: note.answer,
        })
    }

    /// Counts a change made `at` and recomputes when the clock runs out
    /// (only while a unit holds the ticket), on the open leg too.
    fn touch(&mut self, at: DateTime<Utc>, rules: &DeadlineRules) {
        self.version += 1;
        self.updated_at = at;
        if let Some(clock) = &self.clock
            && self.clock_running()
        {
            let due = clock.due_at(&rules.calendar, at);
            self.due_at = Some(due);
            if let Some(leg) = self.open_leg() {
                leg.reschedule(due);
            }
        }
    }

    /// Returns whether the ticket's clock runs: while a unit holds it, or
    /// while it waits at the desk on a leg of its own (a channel whose
    /// limit counts from receipt).
    pub fn clock_running(&self) -> bool {
        self.state.clock_runs() || self.clock_held_at_desk()
    }

    /// Returns whether the ticket waits at the desk with its clock running.
    fn clock_held_at_desk(&self) -> bool {
        self.state.waits_at_desk()
            && self
                .legs
                .iter()
                .any(|leg| leg.task.is_none() && leg.is_open())
    }

    /// Returns when a unit was last given the ticket (not the desk); before
    /// legs were kept, when its clock started.
    pub fn dispatched_at(&self) -> Option<DateTime<Utc>> {
        if self.legs.is_empty() {
            return self.clock.as_ref().map(|c| c.started_at);
        }
        self.legs
            .iter()
            .rev()
            .find(|leg| leg.task.is_none() && leg.start != LegStart::Desk)
            .map(|leg| leg.given_at)
    }

    /// Returns the ticket's own leg under way (not a task's), if any.
    fn open_leg(&mut self) -> Option<&mut Leg> {
        self.legs
            .iter_mut()
            .rev()
            .find(|leg| leg.task.is_none() && leg.is_open())
    }

    /// Ends the ticket's own leg under way, if any, with `outcome`.
    fn end_leg(&mut self, outcome: LegOutcome, at: DateTime<Utc>) {
        if let Some(leg) = self.open_leg() {
            leg.end(outcome, at);
        }
    }

    /// Returns whether a unit (not the desk) held the ticket before.
    fn had_a_unit(&self) -> bool {
        self.legs
            .iter()
            .any(|leg| leg.task.is_none() && leg.start != LegStart::Desk)
    }

    /// Records a new leg of the ticket for its holder, given `at`, due when
    /// its clock runs out.
    fn give_leg(&mut self, start: LegStart, at: DateTime<Utc>) {
        if let Some(unit) = self.assignee.clone() {
            let due = self.due_at.unwrap_or(at);
            self.push_leg(None, unit, start, at, due);
        }
    }

    fn push_leg(
        &mut self,
        task: Option<TaskId>,
        unit: UnitRef,
        start: LegStart,
        at: DateTime<Utc>,
        due_at: DateTime<Utc>,
    ) {
        let seq = u32::try_from(self.legs.len()).map_or(u32::MAX, |n| n + 1);
        self.legs
            .push(Leg::give(seq, task, unit, start, at, due_at));
    }

    /// Returns whether the clock is paused (waiting for the citizen).
    pub fn is_paused(&self) -> bool {
        self.clock
            .as_ref()
            .is_some_and(|c| c.paused_since.is_some())
    }

    /// Returns the timers the ticket's clock needs from `now` on: the
    /// warnings still ahead and the breach, while a unit holds it and the
    /// clock is not paused; none otherwise.
    pub fn timers(&self, rules: &DeadlineRules, now: DateTime<Utc>) -> Vec<PlannedTimer> {
        let Some(clock) = self.clock.as_ref().filter(|_| self.clock_running()) else {
            return Vec::new();
        };
        if self.is_paused() {
            return Vec::new();
        }
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

    /// Gives `unit` a co-handler's task with its own clock, started now, as
    /// long as the ticket's.
    ///
    /// # Errors
    /// [`DomainError::LeadsTheCase`] when `unit` is the lead unit.
    pub fn add_co_handler(
        &mut self,
        unit: UnitRef,
        stamp: &Stamp,
        rules: &DeadlineRules,
    ) -> Result<TaskMoved, DomainError> {
        if self
            .assignee
            .as_ref()
            .is_some_and(|lead| lead.code == unit.code)
        {
            return Err(DomainError::LeadsTheCase(unit.code));
        }
        let task = Task::dispatch(unit, self.limit, rules, stamp.at);
        self.tasks.push(task.clone());
        self.push_leg(
            Some(task.id),
            task.unit.clone(),
            LegStart::Dispatch,
            stamp.at,
            task.due_at,
        );
        Ok(TaskMoved {
            task,
            actor: stamp.actor.clone(),
            at: stamp.at,
        })
    }

    /// Returns the task `id` of this ticket.
    ///
    /// # Errors
    /// [`DomainError::TaskNotFound`].
    pub fn task(&self, id: TaskId) -> Result<&Task, DomainError> {
        self.tasks
            .iter()
            .find(|t| t.id == id)
            .ok_or(DomainError::TaskNotFound(id))
    }

    /// Accepts or resolves (with `result`) the task `id`.
    ///
    /// # Errors
    /// No such task, or a move the task's state does not allow.
    pub fn move_task(
        &mut self,
        id: TaskId,
        action: TaskAction,
        result: Option<String>,
        stamp: &Stamp,
    ) -> Result<TaskMoved, DomainError> {
        let task = self
            .tasks
            .iter_mut()
            .find(|t| t.id == id)
            .ok_or(DomainError::TaskNotFound(id))?;
        task.apply(action, result, stamp.at)?;
        let task = task.clone();
        if let Some(leg) = self
            .legs
            .iter_mut()
            .find(|leg| leg.task == Some(id) && leg.is_open())
        {
            match action {
                TaskAction::Accept => leg.sign(stamp.at),
                TaskAction::Resolve => leg.end(LegOutcome::Resolved, stamp.at),
            }
        }
        Ok(TaskMoved {
            task,
            actor: stamp.actor.clone(),
            at: stamp.at,
        })
    }

    /// The co-handler of the task `id` hands it back (退单) for `reason`,
    /// explained by `note`. For "not our responsibility" `chain` is the
    /// registry's answer for the ticket's place and domain: the return is
    /// refused when it names the returning unit; otherwise the task goes on
    /// to the party it names that is not already on the case and has not
    /// handed the task back. Any other reason, a chain naming nobody new,
    /// or a second return of the same task (ping-pong, `true` in the
    /// answer) gives the task to the town centre's desk, the backstop
    /// (兜底). The returned leg ends RETURNED with the reason; the next
    /// unit gets a leg and a clock of its own.
    ///
    /// # Errors
    /// No such task, a resolved one, or [`DomainError::ReturnRefused`]
    /// quoting the duty that makes it the returning unit's.
    pub fn return_task(
        &mut self,
        id: TaskId,
        (reason, note): (ReturnReason, String),
        chain: Option<&Responsibility>,
        stamp: &Stamp,
        rules: &DeadlineRules,
    ) -> Result<(TaskMoved, Transition, bool), DomainError> {
        let task = self.task(id)?;
        if task.is_resolved() {
            return Err(DomainError::TaskResolved(task.unit.code.clone()));
        }
        let from = task.unit.clone();
        if from.code == town_centre().code {
            return Err(DomainError::BackstopKeepsTask);
        }
        let returned_before: Vec<String> = self
            .returned_legs_of(Some(id))
            .map(|leg| leg.unit.code.clone())
            .collect();
        let ping_pong = !returned_before.is_empty();
        // Never back to a unit that returned it, nor to one already on the
        // case (the lead or another co-handler).
        let passed_over: Vec<String> = returned_before
            .into_iter()
            .chain(self.assignee.iter().map(|u| u.code.clone()))
            .chain(
                self.tasks
                    .iter()
                    .filter(|t| t.id != id)
                    .map(|t| t.unit.code.clone()),
            )
            .collect();
        let verdict = chain
            .filter(|_| reason == ReturnReason::NotOurResponsibility)
            .map(|chain| chain.settle_return(&from, &passed_over));
        let to = match verdict {
            Some(ReturnVerdict::Refused { unit, duty }) => {
                return Err(DomainError::ReturnRefused {
                    code: unit.code,
                    name: unit.name,
                    duty,
                });
            }
            Some(ReturnVerdict::Redispatch { unit, .. }) if !ping_pong => unit,
            _ => town_centre(),
        };
        let moved = self.hand_task_to(
            id,
            &to,
            (LegStart::Redispatch, |leg: &mut Leg| {
                leg.end_returned(reason, stamp.at);
            }),
            stamp,
            rules,
        )?;
        if ping_pong {
            self.supervision_warning = Some(format!(
                "the co-handler's task was handed back a second time (by {}); the desk holds it",
                from.code
            ));
        }
        let mut transition = self.linked(
            Change::Move(Action::Return),
            format!(
                "{} handed its co-handler's task back: {note}; now with {}",
                from.code, to.code
            ),
            Some(to),
            stamp,
        );
        transition.return_reason = Some(reason);
        Ok((moved, transition, ping_pong))
    }

    /// Ends the open leg of the task `id` by `end` and hands the task to
    /// `to` on a new leg begun as `start`, with a clock of its own from
    /// `stamp`.
    fn hand_task_to(
        &mut self,
        id: TaskId,
        to: &UnitRef,
        (start, end): (LegStart, impl FnOnce(&mut Leg)),
        stamp: &Stamp,
        rules: &DeadlineRules,
    ) -> Result<TaskMoved, DomainError> {
        let (limit, at) = (self.limit, stamp.at);
        if let Some(leg) = self
            .legs
            .iter_mut()
            .find(|leg| leg.task == Some(id) && leg.is_open())
        {
            end(leg);
        }
        let task = self
            .tasks
            .iter_mut()
            .find(|t| t.id == id)
            .ok_or(DomainError::TaskNotFound(id))?;
        task.hand_to(to.clone(), limit, rules, at);
        let task = task.clone();
        self.push_leg(Some(id), to.clone(), start, at, task.due_at);
        self.version += 1;
        self.updated_at = at;
        Ok(TaskMoved {
            task,
            actor: stamp.actor.clone(),
            at,
        })
    }

    /// Pauses (`paused`) or resumes the clock of the task `id` at `at` (the
    /// co-handler waits for something outside its hands); its open leg's
    /// deadline moves with it.
    ///
    /// # Errors
    /// No such task, or the task is resolved.
    pub fn pause_task(
        &mut self,
        id: TaskId,
        paused: bool,
        at: DateTime<Utc>,
        rules: &DeadlineRules,
    ) -> Result<Task, DomainError> {
        let limit = self.limit;
        self.change_task_clock(id, at, |task| task.set_paused(paused, limit, rules, at))
    }

    /// Adds `days` working days, granted at `at`, to the clock of the task
    /// `id`; its open leg's deadline moves with it.
    ///
    /// # Errors
    /// No such task, or the task is resolved.
    pub fn extend_task(
        &mut self,
        id: TaskId,
        days: u32,
        at: DateTime<Utc>,
        rules: &DeadlineRules,
    ) -> Result<Task, DomainError> {
        let limit = self.limit;
        self.change_task_clock(id, at, |task| task.extend(days, limit, rules, at))
    }

    fn change_task_clock(
        &mut self,
        id: TaskId,
        at: DateTime<Utc>,
        change: impl FnOnce(&mut Task) -> Result<(), DomainError>,
    ) -> Result<Task, DomainError> {
        let task = self
            .tasks
            .iter_mut()
            .find(|t| t.id == id)
            .ok_or(DomainError::TaskNotFound(id))?;
        change(task)?;
        let task = task.clone();
        if let Some(leg) = self
            .legs
            .iter_mut()
            .find(|leg| leg.task == Some(id) && leg.is_open())
        {
            leg.reschedule(task.due_at);
        }
        self.version += 1;
        self.updated_at = at;
        Ok(task)
    }

    /// Returns a request for `days` more working days, for `reason`: for
    /// the ticket's own clock, or for the clock of its task `task`.
    ///
    /// # Errors
    /// [`DomainError::NotBeingHandled`] unless a unit handles the ticket;
    /// for a task, no such task or a resolved one.
    pub fn request_extension(
        &self,
        task: Option<TaskId>,
        days: u32,
        reason: String,
    ) -> Result<Extension, DomainError> {
        if !self.state.clock_runs() {
            return Err(DomainError::NotBeingHandled(self.state));
        }
        if let Some(id) = task {
            let task = self.task(id)?;
            if task.is_resolved() {
                return Err(DomainError::TaskResolved(task.unit.code.clone()));
            }
        }
        Ok(Extension {
            id: ExtensionId::generate(),
            ticket: self.id,
            task,
            days,
            reason,
            state: ExtensionState::Pending,
        })
    }

    /// Applies the desk's decision on `extension` of the ticket's own
    /// clock: a granted one adds its days to the clock; a refused one
    /// changes nothing (`None`). One of a task's clock is
    /// [`Ticket::extend_task`]'s.
    pub fn apply_extension(
        &mut self,
        extension: &Extension,
        at: DateTime<Utc>,
        rules: &DeadlineRules,
    ) -> Option<ClockChanged> {
        if extension.state != ExtensionState::Granted || extension.task.is_some() {
            return None;
        }
        if let Some(clock) = &mut self.clock {
            clock.extend(extension.days);
        }
        self.touch(at, rules);
        Some(self.clock_changed())
    }

    /// Recomputes, on `rules`' calendar (just edited), when the running
    /// clock runs out and when each open co-handler's task's does, on their
    /// open legs too. Returns the tasks whose deadline moved, and whether
    /// the ticket's own did; nothing changes when neither did.
    pub fn follow_calendar(
        &mut self,
        at: DateTime<Utc>,
        rules: &DeadlineRules,
    ) -> (bool, Vec<TaskId>) {
        let own = match &self.clock {
            Some(clock) if self.clock_running() => {
                Some(clock.due_at(&rules.calendar, at)) != self.due_at
            }
            _ => false,
        };
        let limit = self.limit;
        let mut tasks = Vec::new();
        for task in self.tasks.iter_mut().filter(|t| !t.is_resolved()) {
            if task.follow_calendar(limit, rules, at) {
                tasks.push(task.id);
            }
        }
        for leg in &mut self.legs {
            if let Some(task) = leg.task
                && tasks.contains(&task)
                && let Some(due) = self.tasks.iter().find(|t| t.id == task).map(|t| t.due_at)
            {
                leg.reschedule(due);
            }
        }
        if own {
            self.touch(at, rules);
        } else if !tasks.is_empty() {
            self.version += 1;
            self.updated_at = at;
        }
        (own, tasks)
    }

    /// Pauses the clock (waiting for the citizen); the deadline moves on as
    /// long as the pause lasts.
    ///
    /// # Errors
    /// [`DomainError::ClockNotStarted`] before the first dispatch.
    pub fn pause_clock(
        &mut self,
        at: DateTime<Utc>,
        rules: &DeadlineRules,
    ) -> Result<ClockChanged, DomainError> {
        self.change_clock(at, rules, |clock| clock.pause(at))
    }

    /// Resumes a paused clock.
    ///
    /// # Errors
    /// [`DomainError::ClockNotStarted`] before the first dispatch.
    pub fn resume_clock(
        &mut self,
        at: DateTime<Utc>,
        rules: &DeadlineRules,
    ) -> Result<ClockChanged, DomainError> {
        self.change_clock(at, rules, |clock| clock.resume(at))
    }

    fn change_clock(
        &mut self,
        at: DateTime<Utc>,
        rules: &DeadlineRules,
        change: impl FnOnce(&mut DeadlineClock),
    ) -> Result<ClockChanged, DomainError> {
        // The desk's own clock is not paused: waiting for the citizen is
        // the handling unit's.
        if !self.had_a_unit() && !self.legs.is_empty() {
            return Err(DomainError::ClockNotStarted);
        }
        change(self.clock.as_mut().ok_or(DomainError::ClockNotStarted)?);
        self.touch(at, rules);
        Ok(self.clock_changed())
    }

    fn clock_changed(&self) -> ClockChanged {
        ClockChanged {
            paused: self.is_paused(),
            extension_days: self.clock.as_ref().map_or(0, |c| c.extension_days),
            due_at: self.due_at,
        }
    }

    /// Links this ticket, waiting at the desk, to the open `original` it
    /// repeats; it then closes with it.
    ///
    /// # Errors
    /// The original is closed or a duplicate itself, or this ticket is not
    /// waiting at the desk.
    pub fn merge_into(
        &mut self,
        original: &Ticket,
        reason: &str,
        stamp: &Stamp,
    ) -> Result<Transition, DomainError> {
        if original.state == TicketState::Closed || original.duplicate_of.is_some() {
            return Err(DomainError::NotAnOriginal(original.number.clone()));
        }
        if !self.state.waits_at_desk() || self.duplicate_of.is_some() {
            return Err(DomainError::NotAtTheDesk(self.state));
        }
        self.duplicate_of = Some(original.id);
        self.end_leg(LegOutcome::Withdrawn, stamp.at);
        self.version += 1;
        self.updated_at = stamp.at;
        let reason = format!("{reason} (repeats {})", original.number);
        Ok(self.linked(Change::Merge, reason, None, stamp))
    }

    /// Unlinks an open duplicate from the ticket it was thought to repeat,
    /// for `reason`.
    ///
    /// # Errors
    /// [`DomainError::NotAnOpenDuplicate`].
    pub fn split_off(&mut self, reason: String, stamp: &Stamp) -> Result<Transition, DomainError> {
        if self.duplicate_of.is_none() || self.state == TicketState::Closed {
            return Err(DomainError::NotAnOpenDuplicate);
        }
        self.duplicate_of = None;
        self.version += 1;
        self.updated_at = stamp.at;
        Ok(self.linked(Change::Split, reason, None, stamp))
    }

    /// The desk pauses (`paused`) or resumes the ticket's clock, or the
    /// clock of its task `task`, for `reason` (may be blank to resume), as
    /// `stamp` says. Returns the task changed (for a task's clock) and the
    /// history entry, which names the task's unit; no entry when the clock
    /// already was so.
    ///
    /// # Errors
    /// [`DomainError::ClockNotStarted`] before the first dispatch; for a
    /// task, no such task or a resolved one.
    pub fn set_clock_paused(
        &mut self,
        task: Option<TaskId>,
        paused: bool,
        reason: &str,
        stamp: &Stamp,
        rules: &DeadlineRules,
    ) -> Result<ClockSet, DomainError> {
        let (was, task) = match task {
            Some(id) => {
                let was = self
                    .tasks
                    .iter()
                    .any(|t| t.id == id && t.paused_since.is_some());
                (was, Some(self.pause_task(id, paused, stamp.at, rules)?))
            }
            None => {
                let was = self.is_paused();
                if paused {
                    self.pause_clock(stamp.at, rules)?;
                } else {
                    self.resume_clock(stamp.at, rules)?;
                }
                (was, None)
            }
        };
        let change = if paused {
            Change::Pause
        } else {
            Change::Resume
        };
        let entry = (was != paused).then(|| {
            let mut entry = self.linked(
                change,
                reason.to_owned(),
                task.as_ref().map(|t| t.unit.clone()),
                stamp,
            );
            if reason.is_empty() {
                entry.reason = None;
            }
            entry
        });
        Ok(ClockSet { task, entry })
    }

    /// Returns the history entry of a change that leaves the ticket's state
    /// as it is (a link, a task handed on), for `reason`; `unit` holds what
    /// moved now.
    fn linked(
        &self,
        change: Change,
        reason: String,
        unit: Option<UnitRef>,
        stamp: &Stamp,
    ) -> Transition {
        Transition {
            at: stamp.at,
            actor: stamp.actor.clone(),
            from: Some(self.state),
            to: self.state,
            change,
            reason: Some(reason),
            unit,
            cause: None,
            return_reason: None,
            reject_reason: None,
            answer: None,
        }
    }

    /// Returns what `timer` announces: a warning or breach of the ticket's
    /// clock while it runs, or of an open task's clock; `None` when there
    /// is nothing to announce any more.
    pub fn deadline_reached(&self, timer: &Timer) -> Option<DeadlineReached> {
        if let Some(task_id) = timer.task {
            let task = self.tasks.iter().find(|t| t.id == task_id)?;
            return (!task.is_resolved()).then(|| DeadlineReached {
                kind: timer.kind,
                fraction: timer.fraction,
                due_at: task.due_at,
                task: Some(task.clone()),
            });
        }
        if !self.clock_running() || self.is_paused() {
            return None;
        }
        Some(DeadlineReached {
            kind: timer.kind,
            fraction: match timer.kind {
                TimerKind::Warning => timer.fraction,
                TimerKind::Breach => 1.0,
            },
            due_at: self.due_at.unwrap_or(timer.fire_at),
            task: None,
        })
    }

    /// Sends a ticket whose deadline passed one step up the registry's
    /// chain for its place and domain (`responsibility`; see
    /// [`escalation_target`]): micro-grid → its workstation → the
    /// department handling it → the leader the responsibility book names,
    /// with the town centre as the backstop for what nobody owns. The new
    /// holder gets a fresh leg of the same length, so a ticket ignored
    /// there climbs again. `None` at the top of the chain.
    pub fn escalate(
        &mut self,
        responsibility: &Responsibility,
        stamp: &Stamp,
        rules: &DeadlineRules,
    ) -> Option<Escalated> {
        let from = self.assignee.clone().unwrap_or_else(town_centre);
        let to = escalation_target(responsibility, &from, self.village())?;
        self.escalation_level += 1;
        self.end_leg(LegOutcome::Escalated, stamp.at);
        self.assignee = Some(to.clone());
        if let Some(clock) = &mut self.clock {
            // A new leg for the unit above, as long as the one missed.
            clock.started_at = stamp.at;
            clock.extension_days = 0;
            clock.paused_total = TimeDelta::zero();
        }
        // The new leg first: its deadline is the clock's, recomputed now.
        self.give_leg(LegStart::Escalation, stamp.at);
        self.touch(stamp.at, rules);
        let transition = Transition {
            at: stamp.at,
            actor: stamp.actor.clone(),
            from: Some(self.state),
            to: self.state,
            change: Change::Escalate,
            reason: Some(format!("deadline passed at {}", from.code)),
            unit: Some(to.clone()),
            cause: None,
            return_reason: None,
            reject_reason: None,
            answer: None,
        };
        Some(Escalated {
            from,
            to,
            level: self.escalation_level,
            transition,
        })
    }
}

impl Ticket {
    /// Sends the co-handler's task `id`, whose deadline passed, one step up
    /// the registry's chain as [`Ticket::escalate`] does a ticket, passing
    /// over the units already on the case (the lead and the other
    /// co-handlers): a new leg of the task for the unit above, with a clock
    /// of the ticket's length. `None` for a task resolved or unknown, or at
    /// the top of the chain.
    pub fn escalate_task(
        &mut self,
        id: TaskId,
        responsibility: &Responsibility,
        stamp: &Stamp,
        rules: &DeadlineRules,
    ) -> Option<(TaskMoved, Escalated)> {
        let from = self
            .tasks
            .iter()
            .find(|t| t.id == id && !t.is_resolved())?
            .unit
            .clone();
        let on_the_case: Vec<String> = self
            .assignee
            .iter()
            .chain(self.tasks.iter().map(|t| &t.unit))
            .map(|u| u.code.clone())
            .collect();
        let mut to = escalation_target(responsibility, &from, self.village())?;
        while on_the_case.contains(&to.code) {
            to = escalation_target(responsibility, &to, self.village())?;
        }
        let moved = self
            .hand_task_to(
                id,
                &to,
                (LegStart::Escalation, |leg: &mut Leg| {
                    leg.end(LegOutcome::Escalated, stamp.at);
                }),
                stamp,
                rules,
            )
            .ok()?;
        self.escalation_level += 1;
        let transition = self.linked(
            Change::Escalate,
            format!("co-handler's task deadline passed at {}", from.code),
            Some(to.clone()),
            stamp,
        );
        let escalated = Escalated {
            from,
            to,
            level: self.escalation_level,
            transition,
        };
        Some((moved, escalated))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{intake, placement, responsibility};
    use crate::domain::ids::TimerId;
    use crate::domain::task::TaskState;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    /// Monday 2 March 2026, 09:00 in Shanghai.
    fn monday() -> DateTime<Utc> {
        at("2026-03-02T09:00:00+08:00")
    }

    fn rules() -> DeadlineRules {
        DeadlineRules {
            calendar: Default::default(),
            warning_fractions: vec![0.5, 0.8],
            escalation: super::super::deadline::Escalation::UpTheChain,
        }
    }

    fn rated(satisfaction: u32) -> FollowUpAnswer {
        FollowUpAnswer {
            satisfaction,
            solved: None,
        }
    }

    fn desk() -> Stamp {
        Stamp::new("desk", monday())
    }

    fn unit(kind: UnitKind, code: &str) -> UnitRef {
        UnitRef::new(kind, code, code)
    }

    fn received(channel: Channel) -> Ticket {
        let limits = ChannelLimits::default();
        let intake = intake(channel, "ref-1");
        Ticket::receive(
            TicketId::generate(),
            "LX-2026-000001".into(),
            &intake,
            None,
            &limits,
            &desk(),
            &rules(),
        )
        .0
    }

    /// A 12345 order dispatched to the urban management squad.
    fn dispatched() -> Ticket {
        let mut ticket = received(Channel::Hotline12345);
        let squad = unit(UnitKind::Department, "URBAN_MANAGEMENT");
        ticket.dispatch(squad, None, &desk(), &rules()).unwrap();
        ticket
    }

    fn handled_to_resolved_at(ticket: &mut Ticket, stamp: &Stamp) {
        let rules = rules();
        ticket.accept(None, stamp, &rules).unwrap();
        ticket.resolve("已处理".into(), stamp, &rules).unwrap();
    }

    fn handled_to_resolved(ticket: &mut Ticket) {
        let rules = rules();
        ticket.accept(None, &desk(), &rules).unwrap();
        ticket.resolve("已处理".into(), &desk(), &rules).unwrap();
    }

    #[test]
    fn a_dispatch_starts_the_clock_for_the_unit_and_plans_its_timers() {
        let ticket = dispatched();
        assert_eq!(ticket.state, TicketState::Dispatched);
        assert_eq!(ticket.assignee.as_ref().unwrap().code, "URBAN_MANAGEMENT");
        assert_eq!(ticket.due_at, Some(monday() + TimeDelta::hours(24)));
        let kinds: Vec<_> = ticket
            .timers(&rules(), monday())
            .iter()
            .map(|t| (t.kind, t.fire_at))
            .collect();
        assert_eq!(
            kinds,
            [
                (TimerKind::Warning, monday() + TimeDelta::hours(12)),
                (TimerKind::Warning, monday() + TimeDelta::minutes(24 * 48)),
                (TimerKind::Breach, monday() + TimeDelta::hours(24)),
            ]
        );
        assert_eq!(ticket.version, 2);
    }

    #[test]
    fn a_simple_case_goes_to_its_micro_grid_and_a_hotline_order_to_the_desk() {
        let patrol = received(Channel::GridPatrol);
        assert_eq!(
            patrol.simple_case_unit(&placement()),
            Some(UnitRef::new(UnitKind::MicroGrid, "V1-A1-M01", "V1-A1-M01"))
        );
        assert_eq!(
            received(Channel::Hotline12345).simple_case_unit(&placement()),
            None
        );
    }

    #[test]
    fn a_case_is_resolved_only_when_every_co_handler_task_is() {
        let rules = rules();
        let mut ticket = dispatched();
        let lead = unit(UnitKind::Department, "URBAN_MANAGEMENT");
        assert_eq!(
            ticket.add_co_handler(lead, &desk(), &rules).unwrap_err(),
            DomainError::LeadsTheCase("URBAN_MANAGEMENT".into())
        );
        let police = ticket
            .add_co_handler(unit(UnitKind::Department, "POLICE"), &desk(), &rules)
            .unwrap();
        let water = ticket
            .add_co_handler(unit(UnitKind::Department, "WATER"), &desk(), &rules)
            .unwrap();
        assert_eq!(police.task.due_at, ticket.due_at.unwrap());
        assert_eq!(police.task.timers(ticket.limit, &rules, monday()).len(), 3);
        ticket.accept(None, &desk(), &rules).unwrap();
        let early = ticket.resolve("调解".into(), &desk(), &rules).unwrap_err();
        assert_eq!(
            early.to_string(),
            "2 co-handler task(s) still open: POLICE, WATER; the case is resolved when every task is"
        );
        assert_eq!(ticket.state, TicketState::Accepted, "nothing changed");
        for task in [police.task.id, water.task.id] {
            let done = ticket
                .move_task(task, TaskAction::Resolve, Some("done".into()), &desk())
                .unwrap();
            assert_eq!(done.task.state, TaskState::Resolved);
            assert!(done.task.timers(ticket.limit, &rules, monday()).is_empty());
        }
        ticket.resolve("调解".into(), &desk(), &rules).unwrap();
        assert_eq!(ticket.state, TicketState::Resolved);
        assert!(
            ticket.timers(&rules, monday()).is_empty(),
            "the clock stops"
        );
    }

    #[test]
    fn a_task_moves_from_dispatched_to_resolved_and_no_further() {
        let rules = rules();
        let mut ticket = dispatched();
        let task = ticket
            .add_co_handler(unit(UnitKind::Department, "POLICE"), &desk(), &rules)
            .unwrap()
            .task
            .id;
        ticket
            .move_task(task, TaskAction::Accept, None, &desk())
            .unwrap();
        let again = ticket
            .move_task(task, TaskAction::Accept, None, &desk())
            .unwrap_err();
        assert_eq!(
            again.to_string(),
            "task of POLICE is accepted; cannot accept; allowed: resolve"
        );
        ticket
            .move_task(task, TaskAction::Resolve, None, &desk())
            .unwrap();
        let done = ticket
            .move_task(task, TaskAction::Resolve, None, &desk())
            .unwrap_err();
        assert_eq!(
            done.to_string(),
            "task of POLICE is resolved; cannot resolve; allowed: none"
        );
        let unknown = TaskId::generate();
        assert_eq!(
            ticket.task(unknown).unwrap_err(),
            DomainError::TaskNotFound(unknown)
        );
    }

    #[test]
    fn dispatch_the_desk_rejects_what_is_not_a_case_for_good() {
        let rules = rules();
        let mut ticket = received(Channel::NonPolice110);
        assert!(
            !ticket.timers(&rules, monday()).is_empty(),
            "the desk's clock"
        );
        let rejected = ticket
            .reject(RejectReason::Prank, "恶意报警".into(), &desk(), &rules)
            .unwrap();
        assert_eq!(
            (
                rejected.to,
                rejected.reject_reason,
                rejected.reason.as_deref()
            ),
            (
                TicketState::Rejected,
                Some(RejectReason::Prank),
                Some("恶意报警")
            )
        );
        assert!(!ticket.state.is_open());
        assert!(ticket.timers(&rules, monday()).is_empty(), "no clock");
        assert_eq!(ticket.legs[0].outcome, Some(LegOutcome::Withdrawn));
        assert!(matches!(
            ticket.dispatch(unit(UnitKind::Workstation, "V1"), None, &desk(), &rules),
            Err(DomainError::IllegalTransition(_))
        ));
        let mut handled = dispatched();
        assert!(
            matches!(
                handled.reject(RejectReason::NotACase, "x".into(), &desk(), &rules),
                Err(DomainError::IllegalTransition(_))
            ),
            "only what waits at the desk is rejected"
        );
    }

    #[test]
    fn a_returned_ticket_waits_at_the_desk_on_its_clock_and_counts_against_the_unit() {
        let rules = rules();
        let mut ticket = dispatched();
        let back = ticket
            .return_to_desk(ReturnReason::Other, "需城管执法".into(), &desk(), &rules)
            .unwrap();
        assert_eq!(back.to, TicketState::Returned);
        assert_eq!(back.reason.as_deref(), Some("需城管执法"));
        assert_eq!(back.return_reason, Some(ReturnReason::Other));
        assert_eq!(ticket.returns, 1);
        assert_eq!(ticket.assignee, Some(town_centre()));
        assert_eq!(ticket.returned_by(), ["URBAN_MANAGEMENT"]);
        let returned = &ticket.legs[ticket.legs.len() - 2];
        assert_eq!(
            (returned.outcome, returned.return_reason),
            (Some(LegOutcome::Returned), Some(ReturnReason::Other))
        );
        let at_desk = ticket.legs.last().unwrap();
        assert_eq!((at_desk.start, at_desk.is_open()), (LegStart::Desk, true));
        assert_eq!(Some(at_desk.due_at), ticket.due_at);
        assert!(
            !ticket.timers(&rules, monday()).is_empty(),
            "the desk is on the clock"
        );
        assert_eq!(
            ticket.supervision_warning, None,
            "one return is no ping-pong"
        );
        ticket
            .dispatch(unit(UnitKind::Workstation, "V1"), None, &desk(), &rules)
            .unwrap();
        ticket
            .return_to_desk(
                ReturnReason::BeyondOurMeans,
                "力量不足".into(),
                &desk(),
                &rules,
            )
            .unwrap();
        assert!(
            ticket
                .supervision_warning
                .as_deref()
                .is_some_and(|w| w.contains("URBAN_MANAGEMENT, V1")),
            "{:?}",
            ticket.supervision_warning
        );
    }

    #[test]
    fn an_untrue_result_or_a_low_rating_reopens_it_for_the_same_unit() {
        let rules = rules();
        let mut ticket = dispatched();
        assert!(matches!(
            ticket.verify(false, None, &desk(), &rules),
            Err(DomainError::IllegalTransition(_))
        ));
        handled_to_resolved(&mut ticket);
        let untrue = ticket.verify(false, None, &desk(), &rules).unwrap();
        assert_eq!(
            (untrue.change, untrue.to, untrue.cause),
            (
                Change::Move(Action::Reopen),
                TicketState::Reopened,
                Some(ReopenCause::ResultUntrue)
            )
        );
        assert_eq!(
            untrue.reason.as_deref(),
            Some("verification found the result untrue")
        );
        assert_eq!(untrue.unit.unwrap().code, "URBAN_MANAGEMENT");

        handled_to_resolved(&mut ticket);
        ticket.verify(true, None, &desk(), &rules).unwrap();
        ticket.follow_up(rated(4), None, &desk(), &rules).unwrap();
        assert_eq!(ticket.reopen_if_unsatisfied(&desk(), &rules), Ok(None));
        ticket
            .reopen(ReopenCause::NotSolved, "又堆了".into(), &desk(), &rules)
            .unwrap();
        handled_to_resolved(&mut ticket);
        ticket.verify(true, None, &desk(), &rules).unwrap();
        ticket.follow_up(rated(2), None, &desk(), &rules).unwrap();
        let unhappy = ticket
            .reopen_if_unsatisfied(&desk(), &rules)
            .unwrap()
            .unwrap();
        assert_eq!(unhappy.cause, Some(ReopenCause::Unsatisfied));
        assert_eq!(
            unhappy.reason.as_deref(),
            Some("reporter rated the handling 2 of 5")
        );
        assert_eq!(ticket.satisfaction, Some(2));
        assert_eq!(ticket.state, TicketState::Reopened);
    }

    #[test]
    fn a_verified_ticket_closes_after_its_follow_up_or_with_the_reporter_unreachable() {
        let rules = rules();
        let mut ticket = dispatched();
        handled_to_resolved(&mut ticket);
        ticket.verify(true, None, &desk(), &rules).unwrap();
        assert_eq!(
            ticket.close(false, None, &desk(), &rules),
            Err(DomainError::FollowUpFirst)
        );
        let closed = ticket.close(true, None, &desk(), &rules).unwrap();
        assert_eq!(closed.to, TicketState::Closed);
        assert_eq!(ticket.state.allowed(), [Action::Reopen]);
    }

    #[test]
    fn a_duplicate_is_not_dispatched_and_merges_only_into_an_open_original() {
        let rules = rules();
        let original = dispatched();
        let mut repeat = received(Channel::Hotline12345);
        let linked = repeat.merge_into(&original, "同一户投诉", &desk()).unwrap();
        assert_eq!(linked.change, Change::Merge);
        assert_eq!(
            linked.reason.as_deref(),
            Some("同一户投诉 (repeats LX-2026-000001)")
        );
        assert_eq!(repeat.duplicate_of, Some(original.id));
        assert_eq!(
            repeat.dispatch(unit(UnitKind::Workstation, "V1"), None, &desk(), &rules),
            Err(DomainError::RepeatsAnother)
        );
        assert_eq!(
            repeat.merge_into(&original, "again", &desk()),
            Err(DomainError::NotAtTheDesk(TicketState::Received))
        );
        let mut third = received(Channel::Hotline12345);
        assert_eq!(
            third.merge_into(&repeat, "x", &desk()),
            Err(DomainError::NotAnOriginal("LX-2026-000001".into()))
        );
        // Only a linked ticket is split off again.
        assert_eq!(
            third.split_off("x".into(), &desk()),
            Err(DomainError::NotAnOpenDuplicate)
        );
        let split = repeat.split_off("不同诉求".into(), &desk()).unwrap();
        assert_eq!(split.change, Change::Split);
        assert_eq!(repeat.duplicate_of, None);
    }

    #[test]
    fn a_ticket_closed_without_a_unit_stays_closed() {
        let rules = rules();
        // A duplicate closed with its original.
        let original = dispatched();
        let mut repeat = received(Channel::Hotline12345);
        repeat.merge_into(&original, "同一户投诉", &desk()).unwrap();
        repeat.close_with(&original, &desk());
        let before = repeat.clone();
        assert_eq!(
            repeat.reopen(ReopenCause::NotSolved, "又来了".into(), &desk(), &rules),
            Err(DomainError::ClosedWithOriginal)
        );
        assert_eq!(repeat, before, "refused, unchanged");
        // A referral the review closed, before any unit held the ticket.
        let mut referred = received(Channel::Hotline12345);
        referred.refer(&referral(), &desk(), &rules).unwrap();
        let close = decision(CarryOut::Close {
            result: "不予受理".into(),
        });
        referred.carry_out(&close, &desk(), &rules).unwrap();
        assert_eq!(referred.state, TicketState::Closed);
        assert_eq!(
            referred.reopen(ReopenCause::NotSolved, "不服".into(), &desk(), &rules),
            Err(DomainError::NeverDispatched)
        );
        assert_eq!(referred.state, TicketState::Closed);
        // A ticket a unit held is reopened to it.
        let mut handled = dispatched();
        handled_to_resolved(&mut handled);
        assert_eq!(
            handled
                .reopen(ReopenCause::NotSolved, "未解决".into(), &desk(), &rules)
                .unwrap()
                .to,
            TicketState::Reopened
        );
    }

    #[test]
    fn a_missed_deadline_climbs_from_the_micro_grid_to_the_town_centre_when_nobody_owns_it() {
        let rules = rules();
        let mut ticket = received(Channel::GridPatrol);
        let micro_grid = ticket.simple_case_unit(&placement()).unwrap();
        ticket.dispatch(micro_grid, None, &desk(), &rules).unwrap();
        let later = Stamp::system(monday() + TimeDelta::days(4));
        let mut climbed = Vec::new();
        let nobody = Responsibility::default();
        while let Some(escalated) = ticket.escalate(&nobody, &later, &rules) {
            assert_eq!(escalated.transition.change, Change::Escalate);
            assert_eq!(escalated.transition.to, TicketState::Dispatched);
            climbed.push((escalated.to.kind, escalated.to.code, escalated.level));
        }
        assert_eq!(
            climbed,
            [
                (UnitKind::Workstation, "V1".to_owned(), 1),
                (UnitKind::TownCentre, "TOWN_CENTRE".to_owned(), 2),
            ]
        );
        assert_eq!(
            ticket.clock.as_ref().unwrap().started_at,
            later.at,
            "a new leg for the unit above"
        );
        // Three working days from Friday 09:00: Wednesday 09:00.
        assert_eq!(ticket.due_at, Some(at("2026-03-11T09:00:00+08:00")));
    }

    #[test]
    fn a_paused_clock_announces_nothing_and_pushes_the_deadline_back() {
        let rules = rules();
        let mut waiting = received(Channel::Hotline12345);
        assert_eq!(
            waiting.pause_clock(monday(), &rules),
            Err(DomainError::ClockNotStarted)
        );
        let mut ticket = dispatched();
        let breach = Timer {
            id: TimerId::generate(),
            ticket: ticket.id,
            task: None,
            kind: TimerKind::Breach,
            fraction: 1.0,
            fire_at: monday() + TimeDelta::hours(24),
        };
        assert!(ticket.deadline_reached(&breach).unwrap().escalates());
        let paused = ticket
            .pause_clock(monday() + TimeDelta::hours(2), &rules)
            .unwrap();
        assert!(paused.paused);
        assert!(
            ticket
                .timers(&rules, monday() + TimeDelta::hours(2))
                .is_empty()
        );
        assert_eq!(ticket.deadline_reached(&breach), None);
        let resumed = ticket
            .resume_clock(monday() + TimeDelta::hours(8), &rules)
            .unwrap();
        assert_eq!(resumed.due_at, Some(monday() + TimeDelta::hours(30)));
    }

    #[test]
    fn the_desk_setting_a_clock_is_recorded_only_when_it_changes() {
        let rules = rules();
        let mut ticket = dispatched();
        let desk = |hours| Stamp::new("desk", monday() + TimeDelta::hours(hours));
        let paused = ticket
            .set_clock_paused(None, true, "等待补充材料", &desk(1), &rules)
            .unwrap();
        assert_eq!(paused.task, None);
        let entry = paused.entry.expect("the pause recorded");
        assert_eq!(entry.change, Change::Pause);
        assert_eq!((entry.actor.as_str(), entry.at), ("desk", desk(1).at));
        assert_eq!(entry.reason.as_deref(), Some("等待补充材料"));
        assert_eq!((entry.from, entry.to), (Some(ticket.state), ticket.state));
        assert!(ticket.is_paused());
        let again = ticket
            .set_clock_paused(None, true, "再次", &desk(2), &rules)
            .unwrap();
        assert_eq!(again.entry, None, "already paused: nothing to record");
        let resumed = ticket
            .set_clock_paused(None, false, "", &desk(3), &rules)
            .unwrap();
        let entry = resumed.entry.expect("the resumption recorded");
        assert_eq!((entry.change, entry.reason), (Change::Resume, None));
        assert!(!ticket.is_paused());
    }

    #[test]
    fn more_time_is_asked_for_only_while_a_unit_handles_the_ticket() {
        let rules = rules();
        let waiting = received(Channel::Hotline12345);
        assert_eq!(
            waiting.request_extension(None, 2, "等待配件".into()),
            Err(DomainError::NotBeingHandled(TicketState::Received))
        );
        let mut ticket = dispatched();
        let mut extension = ticket
            .request_extension(None, 2, "等待配件".into())
            .unwrap();
        assert_eq!(ticket.apply_extension(&extension, monday(), &rules), None);
        extension.decide(true).unwrap();
        let granted = ticket
            .apply_extension(&extension, monday(), &rules)
            .unwrap();
        // Monday 09:00 + 24 h, then 2 working days more: Thursday 09:00.
        assert_eq!(granted.extension_days, 2);
        assert_eq!(granted.due_at, Some(at("2026-03-05T09:00:00+08:00")));
    }

    fn legs_of(ticket: &Ticket) -> Vec<(Option<TaskId>, String, LegStart, Option<LegOutcome>)> {
        ticket
            .legs
            .iter()
            .map(|l| (l.task, l.unit.code.clone(), l.start, l.outcome))
            .collect()
    }

    #[test]
    fn every_hand_a_ticket_passes_through_is_a_leg_of_its_own() {
        let rules = rules();
        let mut ticket = dispatched();
        let first_due = ticket.due_at.unwrap();
        let signed = Stamp::new("squad", monday() + TimeDelta::hours(1));
        ticket.accept(None, &signed, &rules).unwrap();
        let back = Stamp::new("squad", monday() + TimeDelta::hours(2));
        ticket
            .return_to_desk(
                ReturnReason::NotOurResponsibility,
                "不属本单位".into(),
                &back,
                &rules,
            )
            .unwrap();
        let again = Stamp::new("desk", monday() + TimeDelta::hours(3));
        let station = unit(UnitKind::Workstation, "V1");
        ticket.dispatch(station, None, &again, &rules).unwrap();
        let late = Stamp::system(monday() + TimeDelta::hours(30));
        ticket
            .escalate(&Responsibility::default(), &late, &rules)
            .unwrap();
        let done = Stamp::new("centre", monday() + TimeDelta::hours(31));
        handled_to_resolved_at(&mut ticket, &done);
        ticket.verify(false, None, &done, &rules).unwrap();
        assert_eq!(
            legs_of(&ticket),
            [
                (
                    None,
                    "TOWN_CENTRE".into(),
                    LegStart::Desk,
                    Some(LegOutcome::Dispatched)
                ),
                (
                    None,
                    "URBAN_MANAGEMENT".into(),
                    LegStart::Dispatch,
                    Some(LegOutcome::Returned)
                ),
                (
                    None,
                    "TOWN_CENTRE".into(),
                    LegStart::Desk,
                    Some(LegOutcome::Dispatched)
                ),
                (
                    None,
                    "V1".into(),
                    LegStart::Redispatch,
                    Some(LegOutcome::Escalated)
                ),
                (
                    None,
                    "TOWN_CENTRE".into(),
                    LegStart::Escalation,
                    Some(LegOutcome::Resolved)
                ),
                (None, "TOWN_CENTRE".into(), LegStart::Reopen, None),
            ]
        );
        let first = &ticket.legs[1];
        assert_eq!(
            (
                first.seq,
                first.given_at,
                first.due_at,
                first.signed_at,
                first.ended_at
            ),
            (2, monday(), first_due, Some(signed.at), Some(back.at))
        );
        assert_eq!(
            ticket.legs[2].due_at,
            back.at + TimeDelta::hours(24),
            "the desk's clock from the return"
        );
        let second = &ticket.legs[3];
        assert_eq!(
            second.due_at,
            back.at + TimeDelta::hours(24),
            "what is left of the desk's clock"
        );
        assert_eq!(second.signed_at, None);
        let third = &ticket.legs[4];
        assert_eq!(
            (third.given_at, third.due_at),
            (late.at, late.at + TimeDelta::hours(24))
        );
        assert_eq!(third.resolved_on_time(), Some(true));
        assert_eq!(ticket.legs[5].due_at, ticket.due_at.unwrap());
    }

    #[test]
    fn an_extension_moves_the_open_leg_and_a_task_is_a_leg_of_its_own() {
        let rules = rules();
        let mut ticket = dispatched();
        let police = ticket
            .add_co_handler(unit(UnitKind::Department, "POLICE"), &desk(), &rules)
            .unwrap()
            .task;
        let mut extension = ticket
            .request_extension(None, 2, "等待配件".into())
            .unwrap();
        extension.decide(true).unwrap();
        ticket
            .apply_extension(&extension, monday(), &rules)
            .unwrap();
        assert_eq!(ticket.legs[1].due_at, at("2026-03-05T09:00:00+08:00"));
        let task_leg = &ticket.legs[2];
        assert_eq!(
            (task_leg.task, task_leg.start, task_leg.due_at),
            (Some(police.id), LegStart::Dispatch, police.due_at)
        );
        let later = Stamp::new("police", monday() + TimeDelta::hours(3));
        ticket
            .move_task(police.id, TaskAction::Accept, None, &later)
            .unwrap();
        ticket
            .move_task(police.id, TaskAction::Resolve, Some("调解".into()), &later)
            .unwrap();
        let task_leg = &ticket.legs[2];
        assert_eq!(
            (task_leg.signed_at, task_leg.outcome),
            (Some(later.at), Some(LegOutcome::Resolved))
        );
        assert!(ticket.legs[1].is_open(), "the lead's leg runs on");
    }

    #[test]
    fn dispatch_a_110_case_is_on_the_clock_at_the_desk_from_receipt() {
        let rules = rules();
        let mut ticket = received(Channel::NonPolice110);
        let two_hours = monday() + TimeDelta::hours(2);
        assert!(ticket.clock_running());
        assert_eq!(ticket.due_at, Some(two_hours));
        assert_eq!(ticket.dispatched_at(), None, "not dispatched yet");
        let planned: Vec<_> = ticket
            .timers(&rules, monday())
            .iter()
            .map(|t| (t.kind, t.fire_at))
            .collect();
        assert_eq!(
            planned,
            [
                (TimerKind::Warning, monday() + TimeDelta::hours(1)),
                (TimerKind::Warning, monday() + TimeDelta::minutes(96)),
                (TimerKind::Breach, two_hours),
            ]
        );
        assert_eq!(
            ticket.pause_clock(monday(), &rules),
            Err(DomainError::ClockNotStarted),
            "the desk does not pause its own clock"
        );
        // Dispatched after 30 minutes: the unit gets what is left of the 2 h.
        let later = Stamp::new("desk", monday() + TimeDelta::minutes(30));
        let police = unit(UnitKind::Department, "POLICE");
        ticket.dispatch(police, None, &later, &rules).unwrap();
        assert_eq!(ticket.due_at, Some(two_hours));
        assert_eq!(ticket.dispatched_at(), Some(later.at));
        assert_eq!(
            legs_of(&ticket),
            [
                (
                    None,
                    "TOWN_CENTRE".into(),
                    LegStart::Desk,
                    Some(LegOutcome::Dispatched)
                ),
                (None, "POLICE".into(), LegStart::Dispatch, None),
            ]
        );
        assert_eq!(ticket.legs[0].ended_at, Some(later.at));
        assert_eq!(ticket.legs[1].due_at, two_hours);
        // A category's working days still count from dispatch.
        let patrol = received(Channel::GridPatrol);
        assert!(!patrol.clock_running() && patrol.legs.is_empty());
    }

    #[test]
    fn dispatch_a_110_case_left_at_the_desk_breaches_and_escalates_like_any_unit() {
        let rules = rules();
        let mut ticket = received(Channel::NonPolice110);
        let breach = Timer {
            id: TimerId::generate(),
            ticket: ticket.id,
            task: None,
            kind: TimerKind::Breach,
            fraction: 1.0,
            fire_at: monday() + TimeDelta::hours(2),
        };
        assert!(ticket.deadline_reached(&breach).unwrap().escalates());
        let late = Stamp::system(monday() + TimeDelta::hours(2));
        let escalated = ticket.escalate(&responsibility(), &late, &rules).unwrap();
        assert_eq!(
            (
                escalated.from.code.as_str(),
                escalated.to.code.as_str(),
                escalated.level
            ),
            ("TOWN_CENTRE", "LEADER_ECOLOGICAL_ENVIRONMENT", 1),
            "to the leader the registry names for the domain"
        );
        assert_eq!(
            ticket.state,
            TicketState::Received,
            "still to be dispatched"
        );
        assert_eq!(
            legs_of(&ticket),
            [
                (
                    None,
                    "TOWN_CENTRE".into(),
                    LegStart::Desk,
                    Some(LegOutcome::Escalated)
                ),
                (
                    None,
                    "LEADER_ECOLOGICAL_ENVIRONMENT".into(),
                    LegStart::Escalation,
                    None
                ),
            ]
        );
        assert_eq!(ticket.due_at, Some(late.at + TimeDelta::hours(2)));
        // A report linked to the one it repeats leaves the desk's clock.
        let mut repeat = received(Channel::NonPolice110);
        repeat
            .merge_into(&dispatched(), "同一警情", &desk())
            .unwrap();
        assert!(!repeat.clock_running());
        assert_eq!(repeat.legs[0].outcome, Some(LegOutcome::Withdrawn));
    }

    #[test]
    fn every_history_change_parses_back_from_its_name() {
        let changes = [
            Change::Receive,
            Change::Escalate,
            Change::Merge,
            Change::Split,
            Change::Pause,
            Change::Resume,
        ]
        .into_iter()
        .chain(Action::ALL.map(Change::Move));
        for change in changes {
            assert_eq!(Change::parse(change.as_str()), Some(change));
        }
        assert_eq!(Change::parse("teleport"), None);
    }

    fn referral() -> Referral {
        crate::domain::referral::ReferralRequest {
            kind: Some(crate::domain::referral::ReferralKind::LegalRisk),
            question: "拆除违建的法律风险".into(),
            materials: vec![],
            parties: vec![],
            major: true,
            deadline: None,
            urgent: false,
        }
        .check(monday())
        .unwrap()
    }

    fn decision(carry_out: CarryOut) -> ReviewDecision {
        ReviewDecision {
            review: "r-1".into(),
            outcome: "adopted".into(),
            reasons: "依法稳妥".into(),
            carry_out,
        }
    }

    #[test]
    fn a_referred_ticket_waits_for_the_decision_with_its_clock_still() {
        let rules = rules();
        let mut ticket = received(Channel::Hotline12345);
        assert_eq!(ticket.state, TicketState::Received);
        let referred = ticket.refer(&referral(), &desk(), &rules).unwrap();
        assert_eq!(referred.to, TicketState::UnderReview);
        assert_eq!(referred.reason.as_deref(), Some("拆除违建的法律风险"));
        assert!(ticket.timers(&rules, monday()).is_empty());
        let squad = unit(UnitKind::Department, "URBAN_MANAGEMENT");
        assert_eq!(
            ticket.dispatch(squad, None, &desk(), &rules).unwrap_err(),
            DomainError::AwaitsDecision
        );
        assert_eq!(
            ticket.close(true, None, &desk(), &rules).unwrap_err(),
            DomainError::AwaitsDecision
        );
    }

    #[test]
    fn a_decision_redispatches_to_the_unit_it_names_with_a_new_clock() {
        let rules = rules();
        let mut ticket = received(Channel::Hotline12345);
        ticket.refer(&referral(), &desk(), &rules).unwrap();
        let lead = unit(UnitKind::Department, "URBAN_MANAGEMENT");
        let carried = ticket
            .carry_out(
                &decision(CarryOut::Redispatch {
                    lead: lead.clone(),
                    co_handlers: vec![],
                }),
                &desk(),
                &rules,
            )
            .unwrap();
        assert_eq!(carried.to, TicketState::Dispatched);
        assert_eq!(ticket.assignee, Some(lead));
        assert_eq!(
            carried.reason.as_deref(),
            Some("review r-1 decided: adopted; 依法稳妥")
        );
        assert!(!ticket.timers(&rules, monday()).is_empty());
    }

    #[test]
    fn a_decision_closes_the_ticket_with_its_result_and_only_a_ticket_under_review() {
        let rules = rules();
        let close = decision(CarryOut::Close {
            result: "不予拆除，补办手续".into(),
        });
        let mut waiting = received(Channel::Hotline12345);
        assert_eq!(
            waiting.carry_out(&close, &desk(), &rules).unwrap_err(),
            DomainError::NotUnderReview(TicketState::Received)
        );
        waiting.refer(&referral(), &desk(), &rules).unwrap();
        let closed = waiting.carry_out(&close, &desk(), &rules).unwrap();
        assert_eq!(closed.to, TicketState::Closed);
        assert!(
            closed
                .reason
                .unwrap()
                .starts_with("不予拆除，补办手续 (review r-1")
        );
        assert!(dispatched().refer(&referral(), &desk(), &rules).is_err());
    }
}
