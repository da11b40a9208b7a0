//! Following the reports' tickets: dispatch's `dispatch.ticket.*` events,
//! applied once each through the inbox. `prepare` decodes an event into the
//! update it brings a report; `apply` runs the use case in the event's unit
//! of work.

use platform::inbox::{EventHandler, HandlerError, ReceivedEvent};
use platform::uow::Work;
use prost::Message as _;
use proto::dispatch::v1 as dispatch;

use crate::application::{Policy, reports};
use crate::convert::from_timestamp;
use crate::domain::ids::{ReportId, TicketId};
use crate::domain::report::{TicketLink, TicketStep, TicketUpdate};

/// The durable consumer of dispatch's ticket events.
pub const CONSUMER: &str = "points-dispatch-tickets";
/// The subjects it follows.
pub const SUBJECTS: &str = "dispatch.ticket.>";

/// Applies dispatch's ticket events to the reports they concern.
#[derive(Clone)]
pub struct TicketEvents {
    pub policy: Policy,
}

impl EventHandler for TicketEvents {
    type Event = TicketUpdate;

    async fn prepare(&self, event: &ReceivedEvent) -> Result<Option<TicketUpdate>, HandlerError> {
        Ok(update_of(event)?)
    }

    async fn apply(&self, work: &mut Work, update: TicketUpdate) -> Result<(), HandlerError> {
        reports::follow_ticket(work, &self.policy, update).await?;
        Ok(())
    }
}

/// The steps `dispatch.ticket.<step>` whose events are `TicketEvent`s.
pub const TICKET_EVENT_STEPS: [&str; 11] = [
    "received",
    "dispatched",
    "accepted",
    "started",
    "returned",
    "resolved",
    "verified",
    "followed_up",
    "closed",
    "reopened",
    "rejected",
];

/// Returns the update `event` brings a report: `None` for steps that do
/// not touch reports and for tickets that are not a report's (another
/// channel, or a reference that is not a report id).
pub fn update_of(event: &ReceivedEvent) -> Result<Option<TicketUpdate>, prost::DecodeError> {
    let Some(step) = event.subject.strip_prefix("dispatch.ticket.") else {
        return Ok(None);
    };
    // Only these carry a TicketEvent; the others under `dispatch.ticket.`
    // (deadline warnings and breaches, escalations, referrals to review,
    // supervision warnings) are messages of their own, and touch no report.
    if !TICKET_EVENT_STEPS.contains(&step) {
        return Ok(None);
    }
    let message = dispatch::TicketEvent::decode(event.payload.as_ref())?;
    let Some(ticket) = message.ticket else {
        return Ok(None);
    };
    if ticket.channel() != dispatch::Channel::VillagerApp {
        return Ok(None);
    }
    let Some(report) = ReportId::parse(&ticket.external_ref) else {
        return Ok(None);
    };
    let untrue = message
        .transition
        .as_ref()
        .is_some_and(|t| t.reopen_cause() == dispatch::ReopenCause::ReportUntrue);
    let step = match step {
        "received" => TicketStep::Received {
            duplicate_of: Some(ticket.duplicate_of.clone()).filter(|d| !d.is_empty()),
        },
        "dispatched" | "accepted" | "started" | "returned" | "resolved" => TicketStep::Handling,
        "verified" => TicketStep::Verified,
        "reopened" => TicketStep::Reopened { untrue },
        // The desk found it no case at all (a prank, a duplicate, outside
        // the town): an untrue report.
        "rejected" => TicketStep::Rejected,
        "closed" => TicketStep::Closed,
        _ => TicketStep::Other,
    };
    Ok(Some(TicketUpdate {
        report,
        ticket: TicketLink {
            id: TicketId::parse(&ticket.id),
            number: ticket.number,
        },
        step,
        at: message
            .meta
            .as_ref()
            .and_then(|m| m.occurred_at.as_ref())
            .and_then(from_timestamp),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(step: &str, ticket: dispatch::Ticket, cause: dispatch::ReopenCause) -> ReceivedEvent {
        let message = dispatch::TicketEvent {
            ticket: Some(ticket),
            transition: Some(dispatch::Transition {
                reopen_cause: cause.into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        ReceivedEvent {
            event_id: uuid::Uuid::now_v7(),
            subject: format!("dispatch.ticket.{step}"),
            payload: message.encode_to_vec().into(),
            headers: Default::default(),
        }
    }

    fn report_ticket(report: ReportId) -> dispatch::Ticket {
        dispatch::Ticket {
            id: "not-a-uuid".into(),
            number: "LX-2026-000001".into(),
            channel: dispatch::Channel::VillagerApp.into(),
            external_ref: report.to_string(),
            ..Default::default()
        }
    }

    #[test]
    fn dispatchs_events_of_other_kinds_are_passed_by_not_taken_for_undecodable() {
        // A report's ticket referred to review: field 3 is the referral's
        // kind, where a TicketEvent has its transition.
        let referred = dispatch::TicketReferred {
            ticket: Some(report_ticket(ReportId::generate())),
            kind: dispatch::ReferralKind::LegalRisk.into(),
            question: "赔偿金额是否于法有据？".into(),
            ..Default::default()
        };
        for step in [
            "referred",
            "supervision_warning",
            "escalated",
            "deadline_warning",
            "deadline_breached",
        ] {
            let event = ReceivedEvent {
                event_id: uuid::Uuid::now_v7(),
                subject: format!("dispatch.ticket.{step}"),
                payload: referred.encode_to_vec().into(),
                headers: Default::default(),
            };
            assert!(matches!(update_of(&event), Ok(None)), "{step}");
        }
    }

    #[test]
    fn a_report_tickets_events_become_its_steps_and_others_are_passed_by() {
        let report = ReportId::generate();
        let untrue = update_of(&event(
            "reopened",
            report_ticket(report),
            dispatch::ReopenCause::ReportUntrue,
        ))
        .unwrap()
        .unwrap();
        assert_eq!(untrue.report, report);
        assert_eq!(untrue.step, TicketStep::Reopened { untrue: true });
        assert_eq!(untrue.ticket.id, None, "the ticket id is not a UUID");
        let resolved = update_of(&event(
            "resolved",
            report_ticket(report),
            Default::default(),
        ))
        .unwrap()
        .unwrap();
        assert_eq!(resolved.step, TicketStep::Handling);
        let rejected = update_of(&event(
            "rejected",
            report_ticket(report),
            Default::default(),
        ))
        .unwrap()
        .unwrap();
        assert_eq!(rejected.step, TicketStep::Rejected);

        let mut hotline = report_ticket(report);
        hotline.channel = dispatch::Channel::Hotline12345.into();
        assert_eq!(
            update_of(&event("verified", hotline, Default::default())).unwrap(),
            None
        );
        assert_eq!(
            update_of(&event(
                "deadline_breached",
                report_ticket(report),
                Default::default()
            ))
            .unwrap(),
            None
        );
        let mut garbled = event("verified", report_ticket(report), Default::default());
        garbled.payload = vec![0xff, 0xff].into();
        assert!(update_of(&garbled).is_err(), "a malformed event is refused");
    }
}
