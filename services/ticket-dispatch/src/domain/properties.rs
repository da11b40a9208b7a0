//! Properties of the ticket's life over any sequence of actions, on the
//! aggregate itself: every action either moves the ticket exactly as the
//! state machine says (and counts one change) or is refused and changes
//! nothing; the ticket is always in a state the machine and the store know,
//! holds at most one open leg of its own, and a closed ticket holds none and
//! runs no clock. A closed ticket moves on only by reopening; a duplicate
//! merged into another is never dispatched on its own and closes with it.

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use super::channel::{Channel, ChannelLimits};
use super::deadline::{DeadlineRules, Escalation};
use super::escalation::UnitKind;
use super::fixtures::intake;
use super::ids::TicketId;
use super::referral::{CarryOut, ReferralKind, ReferralRequest, ReviewDecision};
use super::state::{Action, RejectReason, ReopenCause, ReturnReason, TicketState};
use super::ticket::{FollowUpAnswer, Stamp, Ticket};
use super::unit::UnitRef;

/// One thing a caller, a worker or the review may do to a ticket.
#[derive(Debug, Clone)]
enum Move {
    Dispatch(u8),
    Refer,
    Decide { redispatch: bool },
    Accept,
    Start,
    Resolve,
    Return,
    Reject,
    Verify { result_true: bool },
    FollowUp { satisfaction: u32 },
    ReopenIfUnsatisfied,
    Close { reporter_unreachable: bool },
    Reopen(usize),
    MergeIntoOriginal,
    SplitOff,
    CloseWithOriginal,
}

fn a_move() -> impl Strategy<Value = Move> {
    prop_oneof![
        3 => (0u8..3).prop_map(Move::Dispatch),
        1 => Just(Move::Refer),
        1 => any::<bool>().prop_map(|redispatch| Move::Decide { redispatch }),
        3 => Just(Move::Accept),
        2 => Just(Move::Start),
        3 => Just(Move::Resolve),
        1 => Just(Move::Return),
        1 => Just(Move::Reject),
        3 => any::<bool>().prop_map(|result_true| Move::Verify { result_true }),
        2 => (1u32..=5).prop_map(|satisfaction| Move::FollowUp { satisfaction }),
        1 => Just(Move::ReopenIfUnsatisfied),
        2 => any::<bool>().prop_map(|reporter_unreachable| Move::Close { reporter_unreachable }),
        1 => any::<usize>().prop_map(Move::Reopen),
        1 => Just(Move::MergeIntoOriginal),
        1 => Just(Move::SplitOff),
        1 => Just(Move::CloseWithOriginal),
    ]
}

fn monday() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00")
        .unwrap()
        .to_utc()
}

fn rules() -> DeadlineRules {
    DeadlineRules {
        calendar: Default::default(),
        warning_fractions: vec![0.5, 0.8],
        escalation: Escalation::UpTheChain,
    }
}

fn unit(n: u8) -> UnitRef {
    match n {
        0 => UnitRef::new(UnitKind::MicroGrid, "V1-A1-M01", "V1-A1-M01"),
        1 => UnitRef::new(UnitKind::Department, "URBAN_MANAGEMENT", "城管中队"),
        _ => UnitRef::new(UnitKind::Workstation, "V1", "V1 便民服务站"),
    }
}

fn received(channel: Channel, number: &str) -> Ticket {
    Ticket::receive(
        TicketId::generate(),
        number.into(),
        &intake(channel, number),
        None,
        &ChannelLimits::default(),
        &Stamp::new("desk", monday()),
        &rules(),
    )
    .0
}

/// What the move asks of the state machine, when it is one move of it.
fn action_of(m: &Move, ticket: &Ticket) -> Option<Action> {
    Some(match m {
        Move::Dispatch(_) => Action::Dispatch,
        Move::Refer => Action::Refer,
        Move::Decide { redispatch: true } => Action::Dispatch,
        Move::Decide { redispatch: false } => Action::Close,
        Move::Accept => Action::Accept,
        Move::Start => Action::Start,
        Move::Resolve => Action::Resolve,
        Move::Return => Action::Return,
        Move::Reject => Action::Reject,
        Move::Verify { result_true: true } => Action::Verify,
        Move::Verify { result_true: false } => Action::Reopen,
        Move::FollowUp { .. } => Action::FollowUp,
        Move::ReopenIfUnsatisfied => match ticket.satisfaction {
            Some(rating) if ticket.state == TicketState::FollowedUp && rating <= 2 => {
                Action::Reopen
            }
            _ => return None,
        },
        Move::Close { .. } => Action::Close,
        Move::Reopen(_) => Action::Reopen,
        Move::MergeIntoOriginal | Move::SplitOff | Move::CloseWithOriginal => return None,
    })
}

/// Makes `m` on `ticket` at `stamp`; `Ok(true)` when it changed it.
fn make(ticket: &mut Ticket, original: &Ticket, m: &Move, stamp: &Stamp) -> Result<bool, String> {
    let rules = rules();
    let done = match m {
        Move::Dispatch(n) => ticket.dispatch(unit(*n), None, stamp, &rules).map(|_| ()),
        Move::Refer => {
            let referral = ReferralRequest {
                kind: Some(ReferralKind::LegalRisk),
                question: "拆除违建的法律风险".into(),
                materials: vec![],
                parties: vec![],
                major: true,
                deadline: None,
                urgent: false,
            }
            .check(stamp.at)
            .map_err(|e| e.to_string())?;
            ticket.refer(&referral, stamp, &rules).map(|_| ())
        }
        Move::Decide { redispatch } => {
            let carry_out = if *redispatch {
                CarryOut::Redispatch {
                    lead: unit(1),
                    co_handlers: vec![],
                }
            } else {
                CarryOut::Close {
                    result: "依法不予处理".into(),
                }
            };
            let decision = ReviewDecision {
                review: "r-1".into(),
                outcome: "adopted".into(),
                reasons: String::new(),
                carry_out,
            };
            ticket.carry_out(&decision, stamp, &rules).map(|_| ())
        }
        Move::Accept => ticket.accept(None, stamp, &rules).map(|_| ()),
        Move::Start => ticket.start(None, stamp, &rules).map(|_| ()),
        Move::Resolve => ticket.resolve("已处理".into(), stamp, &rules).map(|_| ()),
        Move::Return => ticket
            .return_to_desk(
                ReturnReason::BeyondOurMeans,
                "超出本单位处置能力".into(),
                stamp,
                &rules,
            )
            .map(|_| ()),
        Move::Reject => ticket
            .reject(RejectReason::NotACase, "非诉求事项".into(), stamp, &rules)
            .map(|_| ()),
        Move::Verify { result_true } => {
            ticket.verify(*result_true, None, stamp, &rules).map(|_| ())
        }
        Move::FollowUp { satisfaction } => ticket
            .follow_up(
                FollowUpAnswer {
                    satisfaction: *satisfaction,
                    solved: None,
                },
                None,
                stamp,
                &rules,
            )
            .map(|_| ()),
        Move::ReopenIfUnsatisfied => {
            return ticket
                .reopen_if_unsatisfied(stamp, &rules)
                .map(|t| t.is_some())
                .map_err(|e| e.to_string());
        }
        Move::Close {
            reporter_unreachable,
        } => ticket
            .close(*reporter_unreachable, None, stamp, &rules)
            .map(|_| ()),
        Move::Reopen(n) => {
            let cause = ReopenCause::ALL[n % ReopenCause::ALL.len()];
            ticket
                .reopen(cause, "问题未解决".into(), stamp, &rules)
                .map(|_| ())
        }
        Move::MergeIntoOriginal => ticket.merge_into(original, "同一问题", stamp).map(|_| ()),
        Move::SplitOff => ticket.split_off("并非同一问题".into(), stamp).map(|_| ()),
        Move::CloseWithOriginal => {
            if ticket.duplicate_of != Some(original.id) || ticket.state == TicketState::Closed {
                return Err("only an open duplicate closes with its original".into());
            }
            ticket.close_with(original, stamp);
            Ok(())
        }
    };
    done.map(|()| true).map_err(|e| e.to_string())
}

/// The properties every reachable ticket has.
fn well_formed(ticket: &Ticket) -> Result<(), TestCaseError> {
    prop_assert!(TicketState::ALL.contains(&ticket.state));
    prop_assert_eq!(
        TicketState::parse(ticket.state.as_str()),
        Some(ticket.state)
    );
    let open = ticket
        .legs
        .iter()
        .filter(|l| l.task.is_none() && l.is_open())
        .count();
    prop_assert!(open <= 1, "{} open legs of the ticket", open);
    if matches!(ticket.state, TicketState::Closed | TicketState::Rejected) {
        prop_assert_eq!(open, 0, "a {:?} ticket holds an open leg", ticket.state);
        prop_assert!(
            !ticket.clock_running(),
            "a {:?} ticket's clock runs",
            ticket.state
        );
    }
    if ticket.state.clock_runs() {
        prop_assert!(ticket.assignee.is_some(), "a unit holds a running clock");
        prop_assert!(ticket.clock.is_some(), "a running clock was started");
    }
    if ticket.duplicate_of.is_some() {
        prop_assert!(
            ticket.state.waits_at_desk()
                || matches!(ticket.state, TicketState::Closed | TicketState::Rejected),
            "a duplicate left the desk in {:?}",
            ticket.state
        );
    }
    let seqs: Vec<u32> = ticket.legs.iter().map(|l| l.seq).collect();
    let expected: Vec<u32> = (1..=u32::try_from(seqs.len()).unwrap()).collect();
    prop_assert_eq!(seqs, expected, "legs are numbered in order");
    Ok(())
}

fn run(channel: Channel, moves: &[Move]) -> Result<(), TestCaseError> {
    let original = received(Channel::Hotline12345, "LX-2026-000001");
    let mut ticket = received(channel, "LX-2026-000002");
    well_formed(&ticket)?;
    for (i, m) in moves.iter().enumerate() {
        let stamp = Stamp::new("desk", monday() + TimeDelta::minutes(10 * (i as i64 + 1)));
        let before = ticket.clone();
        let expected = action_of(m, &before).map(|a| before.state.apply(a));
        match make(&mut ticket, &original, m, &stamp) {
            Ok(true) => {
                prop_assert_eq!(ticket.version, before.version + 1, "{:?} counts once", m);
                if let Some(next) = expected {
                    match next {
                        Ok(to) => {
                            prop_assert_eq!(ticket.state, to, "{:?} from {:?}", m, before.state)
                        }
                        Err(e) => {
                            return Err(TestCaseError::fail(format!(
                                "{m:?} was taken though the machine refuses it: {e}"
                            )));
                        }
                    }
                }
                if before.state == TicketState::Closed {
                    prop_assert_eq!(
                        ticket.state,
                        TicketState::Reopened,
                        "{:?} moved a closed ticket",
                        m
                    );
                }
                if before.duplicate_of.is_some() && matches!(m, Move::Dispatch(_) | Move::Refer) {
                    return Err(TestCaseError::fail("a duplicate was dispatched on its own"));
                }
            }
            Ok(false) => prop_assert_eq!(&ticket, &before, "{:?} did nothing but changed it", m),
            Err(_) => prop_assert_eq!(&ticket, &before, "{:?} was refused but changed it", m),
        }
        well_formed(&ticket)?;
    }
    Ok(())
}

#[test]
fn no_sequence_of_actions_takes_a_ticket_outside_the_state_machine() {
    let mut runner = TestRunner::new(Config {
        cases: 512,
        failure_persistence: None,
        ..Config::default()
    });
    let channels = prop_oneof![
        Just(Channel::Hotline12345),
        Just(Channel::VillagerApp),
        Just(Channel::GridPatrol),
    ];
    let outcome = runner.run(
        &(channels, prop::collection::vec(a_move(), 1..40)),
        |(channel, moves)| run(channel, &moves),
    );
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}
