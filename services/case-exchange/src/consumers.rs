//! Following this town's tickets: dispatch's `dispatch.ticket.*` events,
//! applied once each through the inbox. A ticket's receipt and closure are
//! news for the joint case it belongs to (see `application::tickets`);
//! every other step, and every ticket of no joint case, is passed by.

use platform::inbox::{EventHandler, HandlerError, ReceivedEvent};
use platform::uow::Work;
use prost::Message as _;
use proto::dispatch::v1 as dispatch;

use crate::application::Context;
use crate::application::tickets::{self, TicketNews};
use crate::domain::ids::SharedCaseId;

/// The durable consumer of dispatch's ticket events.
pub const CONSUMER: &str = "exchange-dispatch-tickets";
/// The subjects it follows.
pub const SUBJECTS: &str = "dispatch.ticket.>";

/// Notes this town's tickets on the joint cases they belong to.
#[derive(Clone)]
pub struct TicketEvents {
    pub ctx: Context,
}

impl EventHandler for TicketEvents {
    type Event = TicketNews;

    async fn prepare(&self, event: &ReceivedEvent) -> Result<Option<TicketNews>, HandlerError> {
        Ok(news_of(event)?)
    }

    async fn apply(&self, work: &mut Work, news: TicketNews) -> Result<(), HandlerError> {
        if let Some(peer) = tickets::follow_ticket(work, &self.ctx, news).await? {
            // The sender also looks again within a second, should this
            // wake come before the commit.
            self.ctx.wake(&[peer]);
        }
        Ok(())
    }
}

/// Returns the news `event` brings: a ticket received or closed.
pub fn news_of(event: &ReceivedEvent) -> Result<Option<TicketNews>, prost::DecodeError> {
    let closed = match event.subject.strip_prefix("dispatch.ticket.") {
        Some("received") => false,
        Some("closed") => true,
        _ => return Ok(None),
    };
    let message = dispatch::TicketEvent::decode(event.payload.as_ref())?;
    let Some(ticket) = message.ticket else {
        return Ok(None);
    };
    let shared_id = if ticket.channel() == dispatch::Channel::CrossBorder {
        SharedCaseId::parse(&ticket.external_ref)
    } else {
        None
    };
    Ok(Some(TicketNews {
        shared_id,
        number: ticket.number,
        closed,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(step: &str, channel: dispatch::Channel, external_ref: &str) -> ReceivedEvent {
        let message = dispatch::TicketEvent {
            ticket: Some(dispatch::Ticket {
                number: "XD-2026-000007".into(),
                channel: channel.into(),
                external_ref: external_ref.into(),
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

    #[test]
    fn a_tickets_receipt_and_closure_are_news_and_its_other_steps_are_not() {
        let id = SharedCaseId::generate();
        let received = news_of(&event(
            "received",
            dispatch::Channel::CrossBorder,
            &id.to_string(),
        ))
        .unwrap()
        .unwrap();
        assert_eq!(received.shared_id, Some(id));
        assert!(!received.closed);
        let closed = news_of(&event(
            "closed",
            dispatch::Channel::Hotline12345,
            "12345-0001",
        ))
        .unwrap()
        .unwrap();
        assert_eq!(
            closed.shared_id, None,
            "another channel's reference is no shared id"
        );
        assert!(closed.closed);
        let deadline = news_of(&event(
            "closed",
            dispatch::Channel::CrossBorder,
            "exchange-deadline-x",
        ))
        .unwrap()
        .unwrap();
        assert_eq!(deadline.shared_id, None);
        assert_eq!(
            news_of(&event(
                "dispatched",
                dispatch::Channel::CrossBorder,
                &id.to_string()
            ))
            .unwrap(),
            None
        );
        let garbage = ReceivedEvent {
            payload: vec![0xff, 0xff].into(),
            ..event("closed", dispatch::Channel::CrossBorder, "")
        };
        assert!(news_of(&garbage).is_err());
    }
}
