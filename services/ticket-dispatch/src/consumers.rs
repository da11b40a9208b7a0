//! Tickets asked for by other services' events: `<context>.ticket.requested`
//! on each configured stream, taken in through the inbox like a
//! CreateTicket call. The event's inbox row is the key: the request's
//! reference or key, else the event id, makes it one ticket however often
//! it arrives.

use platform::auth::Caller;
use platform::inbox::{EventHandler, HandlerError, ReceivedEvent};
use platform::uow::Work;
use prost::Message as _;
use proto::dispatch::v1 as pb;

use crate::application::Context;
use crate::application::intake::{self, Prepared};
use crate::convert;

/// Applies `TicketRequested` events from one source.
#[derive(Clone)]
pub struct TicketRequests {
    pub ctx: Context,
    /// The service token forwarded to the registry for these tickets.
    pub token: String,
    /// The requesting context, recorded as the actor (e.g. `video`).
    pub source: String,
}

/// A request, checked and placed. A malformed or invalid one never gets
/// here: `prepare` refuses it (`HandlerError::Refused`), and the platform
/// sets it aside in `inbox_dead_letters`, where an operator can look at it
/// and replay it, rather than blocking the stream.
pub enum Requested {
    /// Take the ticket in (or find it taken in already).
    Take(Caller, Prepared),
}

impl EventHandler for TicketRequests {
    type Event = Requested;

    async fn prepare(&self, event: &ReceivedEvent) -> Result<Option<Requested>, HandlerError> {
        let requested = pb::TicketRequested::decode(event.payload.as_ref())?;
        let mut request = requested.request.unwrap_or_default();
        if request.external_ref.is_empty() && request.idempotency_key.is_empty() {
            // The event's own id makes a redelivered request one ticket.
            request.idempotency_key = event.event_id.to_string();
        }
        let caller = Caller::service(&self.source, &self.token);
        let prepared = intake::prepare(&self.ctx, convert::ticket_request(request)).await?;
        Ok(Some(Requested::Take(caller, prepared)))
    }

    async fn apply(&self, work: &mut Work, event: Requested) -> Result<(), HandlerError> {
        let number = match event {
            Requested::Take(_, Prepared::Existing(ticket)) => ticket.number,
            Requested::Take(caller, Prepared::New(new)) => {
                intake::take_in(work, &self.ctx, &caller, *new)
                    .await?
                    .ticket
                    .number
            }
        };
        tracing::info!(source = %self.source, ticket = %number, "ticket requested by event taken in");
        Ok(())
    }
}
