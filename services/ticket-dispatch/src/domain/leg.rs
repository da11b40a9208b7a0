//! Legs: every time a ticket, or a co-handler's task, is put in a unit's
//! hands — the first dispatch, a redispatch after a return, an escalation,
//! a reopening — a leg is recorded with its own deadline (from when it was
//! given, on the calendar, with its pauses and extensions), when it was
//! signed for and how it ended. A ticket's legs are kept, never
//! overwritten: every figure that says "on time" is computed from them.

use chrono::{DateTime, Utc};

use super::ids::TaskId;
use super::state::ReturnReason;
use super::unit::UnitRef;

/// How a unit came to hold a leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LegStart {
    /// At the town centre's desk to be dispatched (a channel whose limit
    /// counts from receipt: the desk's own time is on the clock), from
    /// receipt or after a return.
    Desk,
    /// The first dispatch of the ticket, or a co-handler's task given.
    Dispatch,
    /// Dispatched again after a return (退单) or taken from a reopened
    /// ticket's unit by the desk.
    Redispatch,
    /// Sent up the chain after the leg below missed its deadline.
    Escalation,
    /// Sent back to its unit: untrue, unsatisfactory, or not solved.
    Reopen,
}

/// How a leg ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LegOutcome {
    /// The unit reported its result (办结).
    Resolved,
    /// The unit handed it back to the desk (退单).
    Returned,
    /// The deadline passed and it went up the chain.
    Escalated,
    /// The desk dispatched it on (a desk leg).
    Dispatched,
    /// Taken out of the unit's hands otherwise: the desk dispatched a
    /// reopened ticket elsewhere, referred it to review or merged it.
    Withdrawn,
}

impl LegStart {
    /// Every start.
    pub const ALL: [LegStart; 5] = [
        LegStart::Desk,
        LegStart::Dispatch,
        LegStart::Redispatch,
        LegStart::Escalation,
        LegStart::Reopen,
    ];

    /// Returns the stored name, e.g. `REDISPATCH`.
    pub fn as_str(self) -> &'static str {
        match self {
            LegStart::Desk => "DESK",
            LegStart::Dispatch => "DISPATCH",
            LegStart::Redispatch => "REDISPATCH",
            LegStart::Escalation => "ESCALATION",
            LegStart::Reopen => "REOPEN",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl LegOutcome {
    /// Every outcome.
    pub const ALL: [LegOutcome; 5] = [
        LegOutcome::Resolved,
        LegOutcome::Returned,
        LegOutcome::Escalated,
        LegOutcome::Dispatched,
        LegOutcome::Withdrawn,
    ];

    /// Returns the stored name, e.g. `RETURNED`.
    pub fn as_str(self) -> &'static str {
        match self {
            LegOutcome::Resolved => "RESOLVED",
            LegOutcome::Returned => "RETURNED",
            LegOutcome::Escalated => "ESCALATED",
            LegOutcome::Dispatched => "DISPATCHED",
            LegOutcome::Withdrawn => "WITHDRAWN",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// One stretch of a ticket (or of a task) in one unit's hands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leg {
    /// 1, 2, … in the order the legs were given, per ticket.
    pub seq: u32,
    /// The co-handler's task this leg is of; `None` for the ticket's own.
    pub task: Option<TaskId>,
    pub unit: UnitRef,
    pub start: LegStart,
    pub given_at: DateTime<Utc>,
    /// Its own deadline, kept up to date with pauses and extensions while
    /// the leg is open.
    pub due_at: DateTime<Utc>,
    /// When the unit signed for it (签收).
    pub signed_at: Option<DateTime<Utc>>,
    /// When it ended; with `outcome`.
    pub ended_at: Option<DateTime<Utc>>,
    pub outcome: Option<LegOutcome>,
    /// Why the unit handed it back, when it did.
    pub return_reason: Option<ReturnReason>,
}

impl Leg {
    /// Returns leg `seq`, given to `unit` `at`, due `due_at`.
    pub fn give(
        seq: u32,
        task: Option<TaskId>,
        unit: UnitRef,
        start: LegStart,
        at: DateTime<Utc>,
        due_at: DateTime<Utc>,
    ) -> Self {
        Self {
            seq,
            task,
            unit,
            start,
            given_at: at,
            due_at,
            signed_at: None,
            ended_at: None,
            outcome: None,
            return_reason: None,
        }
    }

    /// Returns whether the unit still holds it.
    pub fn is_open(&self) -> bool {
        self.outcome.is_none()
    }

    /// Records the unit's signature `at` (the first one counts).
    pub fn sign(&mut self, at: DateTime<Utc>) {
        if self.is_open() {
            self.signed_at.get_or_insert(at);
        }
    }

    /// Ends an open leg `at` with `outcome`; an ended leg keeps its outcome.
    pub fn end(&mut self, outcome: LegOutcome, at: DateTime<Utc>) {
        if self.is_open() {
            self.outcome = Some(outcome);
            self.ended_at = Some(at);
        }
    }

    /// Ends an open leg `at` as handed back for `reason` (退单).
    pub fn end_returned(&mut self, reason: ReturnReason, at: DateTime<Utc>) {
        if self.is_open() {
            self.return_reason = Some(reason);
            self.end(LegOutcome::Returned, at);
        }
    }

    /// Returns whether the leg was the desk's own.
    pub fn is_desk(&self) -> bool {
        self.start == LegStart::Desk
    }

    /// Moves the deadline of an open leg (a pause or an extension); an
    /// ended leg keeps the deadline it ended with.
    pub fn reschedule(&mut self, due_at: DateTime<Utc>) {
        if self.is_open() {
            self.due_at = due_at;
        }
    }

    /// Returns whether the leg was resolved by its deadline: `None` while
    /// open or when it ended otherwise.
    pub fn resolved_on_time(&self) -> Option<bool> {
        match (self.outcome, self.ended_at) {
            (Some(LegOutcome::Resolved), Some(at)) => Some(at <= self.due_at),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::domain::escalation::UnitKind;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn leg() -> Leg {
        let given = at("2026-03-02T09:00:00+08:00");
        Leg::give(
            1,
            None,
            UnitRef::new(UnitKind::Department, "POLICE", "派出所"),
            LegStart::Dispatch,
            given,
            given + TimeDelta::hours(2),
        )
    }

    #[test]
    fn a_leg_signed_and_resolved_in_time_is_on_time_and_keeps_its_outcome() {
        let mut leg = leg();
        assert!(leg.is_open());
        assert_eq!(leg.resolved_on_time(), None, "open: not judged yet");
        let signed = leg.given_at + TimeDelta::minutes(10);
        leg.sign(signed);
        leg.sign(signed + TimeDelta::minutes(5));
        assert_eq!(leg.signed_at, Some(signed), "the first signature counts");
        leg.end(LegOutcome::Resolved, leg.given_at + TimeDelta::hours(1));
        leg.end(LegOutcome::Escalated, leg.given_at + TimeDelta::hours(3));
        leg.reschedule(leg.given_at + TimeDelta::minutes(30));
        assert_eq!(leg.outcome, Some(LegOutcome::Resolved));
        assert_eq!(leg.ended_at, Some(leg.given_at + TimeDelta::hours(1)));
        assert_eq!(leg.due_at, leg.given_at + TimeDelta::hours(2));
        assert_eq!(leg.resolved_on_time(), Some(true));
    }

    #[test]
    fn a_leg_resolved_after_its_deadline_is_late_unless_an_extension_moved_it() {
        let mut late = leg();
        late.end(LegOutcome::Resolved, late.given_at + TimeDelta::hours(3));
        assert_eq!(late.resolved_on_time(), Some(false));
        let mut extended = leg();
        extended.reschedule(extended.given_at + TimeDelta::hours(4));
        extended.end(
            LegOutcome::Resolved,
            extended.given_at + TimeDelta::hours(3),
        );
        assert_eq!(extended.resolved_on_time(), Some(true));
        let mut returned = leg();
        returned.end(LegOutcome::Returned, returned.given_at);
        assert_eq!(returned.resolved_on_time(), None);
    }

    #[test]
    fn every_start_and_outcome_parses_back_from_its_name() {
        for start in LegStart::ALL {
            assert_eq!(LegStart::parse(start.as_str()), Some(start));
        }
        for outcome in LegOutcome::ALL {
            assert_eq!(LegOutcome::parse(outcome.as_str()), Some(outcome));
        }
        assert_eq!(LegOutcome::parse("LOST"), None);
    }
}
