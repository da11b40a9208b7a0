//! The life of a ticket (and of each task of a multi-department case) as an
//! explicit state machine, after 12345 work-order practice:
//! 受理 received → 派单 dispatched → 签收 accepted → 办理 in progress →
//! 办结 resolved → 核查 verified → 回访 followed up → closed; 退单 returned to
//! the desk for redispatch; reopened; 研判 referred from the desk to case
//! review, until the review's decision redispatches or closes it; rejected
//! at the desk as not a case (terminal).

use std::fmt;

/// Where a ticket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketState {
    /// 受理: taken in, not yet dispatched (also while it waits to be routed).
    Received,
    /// 派单: sent to a unit; its clock runs from here.
    Dispatched,
    /// 签收: the unit signed for it.
    Accepted,
    /// 办理: being handled.
    InProgress,
    /// 办结: the unit reports a result.
    Resolved,
    /// 核查: the town checked the result is true.
    Verified,
    /// 回访: the reporter was asked and rated the handling.
    FollowedUp,
    /// Done.
    Closed,
    /// 退单: handed back to the desk with a reason, for redispatch.
    Returned,
    /// Sent back to its unit: untrue, unsatisfactory, or not solved.
    Reopened,
    /// 研判中: referred to case review; only its decision moves it on.
    UnderReview,
    /// Rejected at the desk as not a case: a prank, a duplicate, outside
    /// the town. Terminal.
    Rejected,
}

/// What can be done to a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Dispatch,
    Accept,
    Start,
    Resolve,
    Return,
    Verify,
    FollowUp,
    Close,
    Reopen,
    Refer,
    Reject,
}

/// Why a ticket was reopened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReopenCause {
    /// Verification found the unit's result untrue.
    ResultUntrue,
    /// The reporter rated the handling 1 or 2 of 5.
    Unsatisfied,
    /// The report itself proved untrue.
    ReportUntrue,
    /// The problem came back or was not solved.
    NotSolved,
}

impl ReopenCause {
    /// Every cause.
    pub const ALL: [ReopenCause; 4] = [
        ReopenCause::ResultUntrue,
        ReopenCause::Unsatisfied,
        ReopenCause::ReportUntrue,
        ReopenCause::NotSolved,
    ];

    /// Returns the stored name, e.g. `REPORT_UNTRUE`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReopenCause::ResultUntrue => "RESULT_UNTRUE",
            ReopenCause::Unsatisfied => "UNSATISFIED",
            ReopenCause::ReportUntrue => "REPORT_UNTRUE",
            ReopenCause::NotSolved => "NOT_SOLVED",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Why a unit hands a ticket back (退单).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReturnReason {
    /// Not the unit's responsibility: the registry settles who it is.
    NotOurResponsibility,
    /// The location is wrong.
    WrongLocation,
    /// Not enough information to act on.
    NotEnoughInformation,
    /// Beyond the unit's means.
    BeyondOurMeans,
    /// Anything else (the reason text says what).
    Other,
}

/// Why the desk rejects a report as not a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectReason {
    /// A prank or malicious report.
    Prank,
    /// The same matter already reported (by phone, say).
    Duplicate,
    /// Outside the town.
    OutsideTheTown,
    /// Not a case for the town to handle.
    NotACase,
}

impl RejectReason {
    /// Every reason.
    pub const ALL: [RejectReason; 4] = [
        RejectReason::Prank,
        RejectReason::Duplicate,
        RejectReason::OutsideTheTown,
        RejectReason::NotACase,
    ];

    /// Returns the stored name, e.g. `OUTSIDE_THE_TOWN`.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::Prank => "PRANK",
            RejectReason::Duplicate => "DUPLICATE",
            RejectReason::OutsideTheTown => "OUTSIDE_THE_TOWN",
            RejectReason::NotACase => "NOT_A_CASE",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl ReturnReason {
    /// Every reason.
    pub const ALL: [ReturnReason; 5] = [
        ReturnReason::NotOurResponsibility,
        ReturnReason::WrongLocation,
        ReturnReason::NotEnoughInformation,
        ReturnReason::BeyondOurMeans,
        ReturnReason::Other,
    ];

    /// Returns the stored name, e.g. `NOT_OUR_RESPONSIBILITY`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnReason::NotOurResponsibility => "NOT_OUR_RESPONSIBILITY",
            ReturnReason::WrongLocation => "WRONG_LOCATION",
            ReturnReason::NotEnoughInformation => "NOT_ENOUGH_INFORMATION",
            ReturnReason::BeyondOurMeans => "BEYOND_OUR_MEANS",
            ReturnReason::Other => "OTHER",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl TicketState {
    /// Every state, in the order of a ticket's life.
    pub const ALL: [TicketState; 12] = [
        TicketState::Received,
        TicketState::Dispatched,
        TicketState::Accepted,
        TicketState::InProgress,
        TicketState::Resolved,
        TicketState::Verified,
        TicketState::FollowedUp,
        TicketState::Closed,
        TicketState::Returned,
        TicketState::Reopened,
        TicketState::UnderReview,
        TicketState::Rejected,
    ];

    /// Returns the stored name, e.g. `IN_PROGRESS`.
    pub fn as_str(self) -> &'static str {
        match self {
            TicketState::Received => "RECEIVED",
            TicketState::Dispatched => "DISPATCHED",
            TicketState::Accepted => "ACCEPTED",
            TicketState::InProgress => "IN_PROGRESS",
            TicketState::Resolved => "RESOLVED",
            TicketState::Verified => "VERIFIED",
            TicketState::FollowedUp => "FOLLOWED_UP",
            TicketState::Closed => "CLOSED",
            TicketState::Returned => "RETURNED",
            TicketState::Reopened => "REOPENED",
            TicketState::UnderReview => "UNDER_REVIEW",
            TicketState::Rejected => "REJECTED",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == s)
    }

    /// Returns the actions allowed in this state.
    pub fn allowed(self) -> &'static [Action] {
        use Action::*;
        match self {
            TicketState::Received => &[Dispatch, Refer, Reject],
            TicketState::Dispatched => &[Accept, Return],
            TicketState::Accepted => &[Start, Resolve, Return],
            TicketState::InProgress => &[Resolve, Return],
            TicketState::Resolved => &[Verify, Reopen],
            // Closing straight from verified is the desk's check when the
            // reporter cannot be reached for a follow-up.
            TicketState::Verified => &[FollowUp, Close, Reopen],
            TicketState::FollowedUp => &[Close, Reopen],
            TicketState::Closed => &[Reopen],
            TicketState::Returned => &[Dispatch, Refer, Reject],
            TicketState::Reopened => &[Dispatch, Accept],
            // The review's decision: a redispatch, or closure with it as
            // the result.
            TicketState::UnderReview => &[Dispatch, Close],
            TicketState::Rejected => &[],
        }
    }

    /// Returns the state `action` leads to, or why it is illegal here.
    ///
    /// # Errors
    /// [`IllegalTransition`] naming the current state and the allowed actions.
    pub fn apply(self, action: Action) -> Result<TicketState, IllegalTransition> {
        if !self.allowed().contains(&action) {
            return Err(IllegalTransition {
                from: self,
                action,
                allowed: self.allowed(),
            });
        }
        Ok(match action {
            Action::Dispatch => TicketState::Dispatched,
            Action::Accept => TicketState::Accepted,
            Action::Start => TicketState::InProgress,
            Action::Resolve => TicketState::Resolved,
            Action::Return => TicketState::Returned,
            Action::Verify => TicketState::Verified,
            Action::FollowUp => TicketState::FollowedUp,
            Action::Close => TicketState::Closed,
            Action::Reopen => TicketState::Reopened,
            Action::Refer => TicketState::UnderReview,
            Action::Reject => TicketState::Rejected,
        })
    }

    /// Returns whether the ticket is still open (its clock may run).
    pub fn is_open(self) -> bool {
        !matches!(self, TicketState::Closed | TicketState::Rejected)
    }

    /// Returns whether the ticket waits at the desk to be dispatched.
    pub fn waits_at_desk(self) -> bool {
        matches!(self, TicketState::Received | TicketState::Returned)
    }

    /// Returns whether a unit holds the ticket and its deadline clock runs.
    pub fn clock_runs(self) -> bool {
        matches!(
            self,
            TicketState::Dispatched
                | TicketState::Accepted
                | TicketState::InProgress
                | TicketState::Reopened
        )
    }
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 11] = [
        Action::Dispatch,
        Action::Accept,
        Action::Start,
        Action::Resolve,
        Action::Return,
        Action::Verify,
        Action::FollowUp,
        Action::Close,
        Action::Reopen,
        Action::Refer,
        Action::Reject,
    ];

    /// Parses an action's name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Returns the action's name as the API spells it, e.g. `follow_up`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Dispatch => "dispatch",
            Action::Accept => "accept",
            Action::Start => "start",
            Action::Resolve => "resolve",
            Action::Return => "return",
            Action::Verify => "verify",
            Action::FollowUp => "follow_up",
            Action::Close => "close",
            Action::Reopen => "reopen",
            Action::Refer => "refer",
            Action::Reject => "reject",
        }
    }
}

impl fmt::Display for TicketState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str().to_lowercase().replace('_', " "))
    }
}

/// An action refused in the current state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ticket is {from}; cannot {}; allowed: {}", .action.as_str(), allowed_list(.allowed))]
pub struct IllegalTransition {
    pub from: TicketState,
    pub action: Action,
    pub allowed: &'static [Action],
}

fn allowed_list(allowed: &[Action]) -> String {
    if allowed.is_empty() {
        return "none".to_owned();
    }
    allowed
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_lives_from_received_to_closed() {
        let mut state = TicketState::Received;
        for action in [
            Action::Dispatch,
            Action::Accept,
            Action::Start,
            Action::Resolve,
            Action::Verify,
            Action::FollowUp,
            Action::Close,
        ] {
            state = state.apply(action).unwrap();
        }
        assert_eq!(state, TicketState::Closed);
    }

    #[test]
    fn a_returned_ticket_is_dispatched_again() {
        let state = TicketState::Accepted.apply(Action::Return).unwrap();
        assert_eq!(state, TicketState::Returned);
        assert_eq!(
            state.apply(Action::Dispatch).unwrap(),
            TicketState::Dispatched
        );
    }

    #[test]
    fn a_resolved_ticket_cannot_be_dispatched_again() {
        let err = TicketState::Resolved.apply(Action::Dispatch).unwrap_err();
        assert_eq!(
            err.to_string(),
            "ticket is resolved; cannot dispatch; allowed: verify, reopen"
        );
    }

    #[test]
    fn a_closed_ticket_can_only_be_reopened() {
        assert_eq!(TicketState::Closed.allowed(), [Action::Reopen]);
        assert!(TicketState::Closed.apply(Action::Accept).is_err());
    }

    #[test]
    fn every_state_parses_back_from_its_name() {
        for state in TicketState::ALL {
            assert_eq!(TicketState::parse(state.as_str()), Some(state));
        }
    }

    #[test]
    fn the_clock_runs_only_while_a_unit_holds_the_ticket() {
        let running: Vec<_> = TicketState::ALL
            .into_iter()
            .filter(|s| s.clock_runs())
            .collect();
        assert_eq!(
            running,
            [
                TicketState::Dispatched,
                TicketState::Accepted,
                TicketState::InProgress,
                TicketState::Reopened
            ]
        );
    }

    #[test]
    fn a_ticket_at_the_desk_is_referred_and_only_the_decision_moves_it_on() {
        for at_desk in [TicketState::Received, TicketState::Returned] {
            assert_eq!(
                at_desk.apply(Action::Refer).unwrap(),
                TicketState::UnderReview
            );
        }
        assert!(TicketState::Dispatched.apply(Action::Refer).is_err());
        assert_eq!(
            TicketState::UnderReview.allowed(),
            [Action::Dispatch, Action::Close]
        );
        assert!(!TicketState::UnderReview.clock_runs());
        assert!(TicketState::UnderReview.apply(Action::Accept).is_err());
    }
}
