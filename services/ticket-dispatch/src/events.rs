//! The dispatch events: the stream, the subjects, and each domain event as
//! the outbox event that publishes it (`proto/weigrid/dispatch/v1/events.proto`).

use chrono::{DateTime, Utc};
use platform::events::StreamSpec;
use platform::outbox::OutboxEvent;
use proto::dispatch::v1 as pb;
use uuid::Uuid;

use crate::convert;
use crate::domain::ids::TaskId;
use crate::domain::referral::Referral;
use crate::domain::state::Action;
use crate::domain::task::{TaskMoved, TaskState};
use crate::domain::ticket::{Change, Escalated, SYSTEM_ACTOR, Stamp, Ticket, Transition};
use crate::domain::timer::{DeadlineReached, TimerKind};

/// The DISPATCH stream, subjects `dispatch.>`.
pub const STREAM: StreamSpec = StreamSpec::fixed("DISPATCH", "dispatch");

pub const DEADLINE_WARNING: &str = "dispatch.ticket.deadline_warning";
pub const DEADLINE_BREACHED: &str = "dispatch.ticket.deadline_breached";
pub const ESCALATED: &str = "dispatch.ticket.escalated";
pub const REFERRED: &str = "dispatch.ticket.referred";
pub const SUPERVISION_WARNING: &str = "dispatch.ticket.supervision_warning";

/// Returns the subject of the `TicketEvent` a history entry publishes;
/// `None` for the entries only the history keeps (escalation, merge,
/// split, a clock paused or resumed) and for a referral, which publishes its own event ([`referred`]).
pub fn subject_for(change: Change) -> Option<&'static str> {
    Some(match change {
        Change::Receive => "dispatch.ticket.received",
        Change::Move(Action::Dispatch) => "dispatch.ticket.dispatched",
        Change::Move(Action::Accept) => "dispatch.ticket.accepted",
        Change::Move(Action::Start) => "dispatch.ticket.started",
        Change::Move(Action::Return) => "dispatch.ticket.returned",
        Change::Move(Action::Resolve) => "dispatch.ticket.resolved",
        Change::Move(Action::Verify) => "dispatch.ticket.verified",
        Change::Move(Action::FollowUp) => "dispatch.ticket.followed_up",
        Change::Move(Action::Close) => "dispatch.ticket.closed",
        Change::Move(Action::Reopen) => "dispatch.ticket.reopened",
        Change::Move(Action::Reject) => "dispatch.ticket.rejected",
        Change::Move(Action::Refer)
        | Change::Escalate
        | Change::Merge
        | Change::Split
        | Change::Pause
        | Change::Resume => {
            return None;
        }
    })
}

/// Returns the metadata of a new event.
fn meta(actor: &str, at: DateTime<Utc>) -> (Uuid, pb::EventMeta) {
    let event_id = Uuid::now_v7();
    (
        event_id,
        pb::EventMeta {
            event_id: event_id.to_string(),
            occurred_at: Some(convert::timestamp(at)),
            actor: actor.to_owned(),
        },
    )
}

/// Returns the `TicketEvent` of `transition`, with `ticket` as it is after
/// it; `None` when the entry is not published.
pub fn ticket_moved(ticket: &Ticket, transition: &Transition) -> Option<OutboxEvent> {
    let subject = subject_for(transition.change)?;
    let (id, meta) = meta(&transition.actor, transition.at);
    let event = pb::TicketEvent {
        meta: Some(meta),
        ticket: Some(convert::ticket_summary(ticket)),
        transition: Some(convert::transition(transition)),
        task: None,
    };
    Some(OutboxEvent::encode(id, subject, &event))
}

/// Returns the `TicketReferred` event of the ticket referred to review
/// (its phone masked, as in every event).
pub fn referred(ticket: &Ticket, referral: &Referral, transition: &Transition) -> OutboxEvent {
    let (id, meta) = meta(&transition.actor, transition.at);
    let event = pb::TicketReferred {
        meta: Some(meta),
        ticket: Some(convert::ticket_summary(ticket)),
        kind: convert::referral_kind(referral.kind).into(),
        question: referral.question.clone(),
        materials: referral.materials.clone(),
        parties: referral.parties.clone(),
        major: referral.major,
        deadline: referral.deadline.map(convert::timestamp),
        urgent: referral.urgent,
    };
    OutboxEvent::encode(id, REFERRED, &event)
}

/// Returns the `TicketEvent` of a co-handler's task dispatched, accepted or
/// resolved.
pub fn task_moved(ticket: &Ticket, moved: &TaskMoved) -> OutboxEvent {
    let subject = match moved.task.state {
        TaskState::Dispatched => "dispatch.ticket.dispatched",
        TaskState::Accepted => "dispatch.ticket.accepted",
        TaskState::Resolved => "dispatch.ticket.resolved",
    };
    let (id, meta) = meta(&moved.actor, moved.at);
    let event = pb::TicketEvent {
        meta: Some(meta),
        ticket: Some(convert::ticket_summary(ticket)),
        transition: None,
        task: Some(convert::task(&moved.task)),
    };
    OutboxEvent::encode(id, subject, &event)
}

/// Returns the `DeadlineEvent` of a warning or breach noticed `at`.
pub fn deadline(ticket: &Ticket, reached: &DeadlineReached, at: DateTime<Utc>) -> OutboxEvent {
    let subject = match reached.kind {
        TimerKind::Warning => DEADLINE_WARNING,
        TimerKind::Breach => DEADLINE_BREACHED,
    };
    let (id, meta) = meta(SYSTEM_ACTOR, at);
    let event = pb::DeadlineEvent {
        meta: Some(meta),
        ticket: Some(convert::ticket_summary(ticket)),
        fraction: reached.fraction,
        due_at: Some(convert::timestamp(reached.due_at)),
        task: reached.task.as_ref().map(convert::task),
    };
    OutboxEvent::encode(id, subject, &event)
}

/// Returns the `SupervisionWarning` of a ticket, or of its task `task`,
/// handed back a second time (ping-pong), made by `stamp`, with the units
/// that handed it back; `None` when the ticket carries no warning.
pub fn supervision_warning(
    ticket: &Ticket,
    task: Option<TaskId>,
    stamp: &Stamp,
) -> Option<OutboxEvent> {
    let reason = ticket.supervision_warning.clone()?;
    let (id, meta) = meta(&stamp.actor, stamp.at);
    let event = pb::SupervisionWarning {
        meta: Some(meta),
        ticket: Some(convert::ticket_summary(ticket)),
        reason,
        returned_by: ticket
            .returned_legs_of(task)
            .map(|l| convert::unit(&l.unit))
            .collect(),
    };
    Some(OutboxEvent::encode(id, SUPERVISION_WARNING, &event))
}

/// Returns the `TicketEscalated` event of an escalation.
pub fn escalated(ticket: &Ticket, escalated: &Escalated) -> OutboxEvent {
    let (id, meta) = meta(&escalated.transition.actor, escalated.transition.at);
    let event = pb::TicketEscalated {
        meta: Some(meta),
        ticket: Some(convert::ticket_summary(ticket)),
        from_unit: Some(convert::unit(&escalated.from)),
        to_unit: Some(convert::unit(&escalated.to)),
        level: escalated.level,
    };
    OutboxEvent::encode(id, ESCALATED, &event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_move_publishes_on_its_subject_and_the_rest_stays_in_the_history() {
        for action in Action::ALL.into_iter().filter(|a| *a != Action::Refer) {
            let subject = subject_for(Change::Move(action)).unwrap();
            assert!(subject.starts_with("dispatch.ticket."), "{subject}");
        }
        assert_eq!(subject_for(Change::Move(Action::Refer)), None);
        assert_eq!(
            subject_for(Change::Move(Action::FollowUp)),
            Some("dispatch.ticket.followed_up")
        );
        for change in [
            Change::Escalate,
            Change::Merge,
            Change::Split,
            Change::Pause,
            Change::Resume,
        ] {
            assert_eq!(subject_for(change), None);
        }
    }
}
